"""Benchmark: the 50-product listing with price, stock and store availability.

Runs, in one go and on one machine: the four simulators, the gateway (`commerce-gateway
serve`, embedded store included), the same gateway without API keys, cost analysis, budgets
and query limits (bench/unguarded_gateway.py: what those cost per request), and a plain
Starlette endpoint returning a JSON body of the same size (the ceiling). Load comes from
`wrk` (apt-get install wrk), POSTing the same document. Then, in this process, the gateway's
response encoder (orjson) is timed against json.dumps on the listing's answer. Last, the
listing and a text search run over two stacks at once, simulators of `--size` products and of
`--large` (100,000) each with its gateway, in back-to-back pairs (which goes first alternates):
the simulators search by indexes, so what grows with the catalog is the gateway's own cost, if
any. Prints a Markdown table for the README.

    .venv/bin/python bench/listing.py [--duration 10] [--connections 8] [--size 1000] [--large 100000]
                                      [--rounds 6] [--rss] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import time
import timeit
from datetime import date

import httpx

from harness import (Gateway, cpu_seconds, load_parser, measure, parse_for_wrk,  # first: puts the layers on the path
                     post_script, post_twice, rss_mb, start_gateway, start_plain, start_simulators, start_stack, wrk)

from gateway.graphql_view import encode_body
from gateway.processes import Supervisor

QUERY = """{ products(first: 50) { edges { node {
  sku title brand priceRange { minVariantPrice { amount currencyCode } }
  availableForSale totalInventory
  variants { sku price { amount currencyCode } quantityAvailable stock { quantity asOf } }
  storeAvailability(first: 3, near: {latitude: 52.52, longitude: 13.40}) { store { name } quantity available }
} } } }"""


TEXT_QUERY = """{ products(first: 50, query: "trail") { edges { node {
  sku title priceRange { minVariantPrice { amount currencyCode } } availableForSale
} } } }"""
SMOKE_LARGE = 200
SCALE_PAIRS = 2  # pairs of runs over the two catalogs, per document


def main() -> None:
    parser = load_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=6, help="pairs of runs with and without keys, cost and limits")
    parser.add_argument("--large", type=int, default=100_000,
                        help="products in the second catalog the listing and a text search run over (0: none)")
    parser.add_argument("--rss", action="store_true", help="also measure RSS with the 100,000-product catalog")
    args = parse_for_wrk(parser, rounds=1, large=SMOKE_LARGE)
    rows = run_scenarios(args)
    if args.large:
        rows += at_scale(args)
    if args.rss:
        rows.append(("gateway RSS, 100,000-product catalog", measure_rss(), ""))
    print_table(rows, args)


def run_scenarios(args: argparse.Namespace) -> list[tuple[str, object, str]]:
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        gateway = start_gateway(sims, sup)
        unguarded = start_gateway(sims, sup, name="unguarded", unguarded=True)
        body = json.dumps({"query": QUERY})
        answer, _, calls = post_twice(gateway, sims, body)
        baseline = httpx.post(f"{unguarded.base}/graphql", content=body, timeout=30,  # no key: it admits anyone
                              headers={"content-type": "application/json"})
        assert baseline.status_code == 200 and answered(baseline) == answered(answer), \
            f"the baseline must answer the same\n{baseline.text[:500]}"
        plain = start_plain(sup, answer.content)

        keyed, open_ = post_script(body, gateway.key), post_script(body)
        if not args.smoke:
            wrk(f"{gateway.base}/graphql", keyed, 2, args.connections)  # warm-up
            wrk(f"{unguarded.base}/graphql", open_, 2, args.connections)
        ceiling = measure(plain, post_script(body), args)
        fast = measure(f"{gateway.base}/graphql", keyed, args)
        without = measure(f"{unguarded.base}/graphql", open_, args)
        throughput, cpu = guard_ratios(gateway, keyed, unguarded, open_, args)
        for url in sims.values():
            httpx.post(f"{url}/__faults", json={"latency_ms": 20})
        slow = measure(f"{gateway.base}/graphql", keyed, args)
        ours, stdlib = encoding_times(answer.json())
        return [
            ("response body", f"{len(answer.content):,} bytes", ""),
            ("backend calls per query (odoo/woocommerce/medusa/ebay)",
             "/".join(str(calls[n]) for n in ("odoo", "woocommerce", "medusa", "ebay")), ""),
            ("plain Starlette JSON (ceiling)", ceiling, ""),
            ("gateway, backends at 0 ms", fast, f"{fast['rps'] / ceiling['rps']:.1%} of ceiling"),
            ("same, without keys, cost and limits", without, f"{without['rps'] / ceiling['rps']:.1%} of ceiling"),
            (f"throughput with ÷ without keys, cost and limits (median of {args.rounds} pairs)",
             f"{statistics.median(throughput):.1%}", f"pairs ranged {min(throughput):.1%}–{max(throughput):.1%}"),
            (f"gateway CPU per request with ÷ without (median of {args.rounds} pairs)",
             f"{statistics.median(cpu):.1%}", f"pairs ranged {min(cpu):.1%}–{max(cpu):.1%}"),
            ("gateway, backends at 20 ms", slow, f"p50 − 20 ms = {slow['p50'] - 20:.1f} ms"),
            ("encoding the body, gateway (orjson) ÷ json.dumps, in-process", f"{ours / stdlib:.1%}",
             f"{ours * 1000:.3f} ms against {stdlib * 1000:.3f} ms"),
        ]
    finally:
        sup.stop_all()


def at_scale(args: argparse.Namespace) -> list[tuple[str, object, str]]:
    """The listing and the text search over catalogs of `--size` and `--large` products, both
    stacks up, in back-to-back pairs: each figure the median of its runs, each ratio of its pairs."""
    small_sup, large_sup = Supervisor(), Supervisor()
    try:
        small = start_stack(args.size, small_sup)
        started = time.monotonic()
        large_sims = start_simulators(args.large, large_sup)
        ready = time.monotonic() - started
        stacks = {args.size: small, args.large: (large_sims, start_gateway(large_sims, large_sup))}
        rows: list[tuple[str, object, str]] = []
        for query, label in ((QUERY, "listing"), (TEXT_QUERY, 'text search "trail"')):
            body = json.dumps({"query": query})
            scripts = {size: post_script(body, gateway.key) for size, (_, gateway) in stacks.items()}
            for size, (sims, gateway) in stacks.items():
                post_twice(gateway, sims, body)  # the simulators build their indexes on first use
                if not args.smoke:
                    wrk(f"{gateway.base}/graphql", scripts[size], 2, args.connections)
            runs: dict[int, list[dict[str, float]]] = {size: [] for size in stacks}
            for pair in range(1 if args.smoke else SCALE_PAIRS):
                for size in (list(stacks) if pair % 2 == 0 else list(reversed(stacks))):
                    runs[size].append(measure(f"{stacks[size][1].base}/graphql", scripts[size], args))
            figures = {size: {k: statistics.median(r[k] for r in found) for k in found[0]}
                       for size, found in runs.items()}
            throughput = [big["rps"] / base["rps"] for base, big in zip(runs[args.size], runs[args.large], strict=True)]
            latency = [big["p50"] / base["p50"] for base, big in zip(runs[args.size], runs[args.large], strict=True)]
            rows += [(f"{label}, catalog {args.size:,}", figures[args.size], ""),
                     (f"{label}, catalog {args.large:,}", figures[args.large],
                      f"÷ catalog {args.size:,}: throughput {statistics.median(throughput):.0%}, p50 one at a time "
                      f"×{statistics.median(latency):.2f} (median of {len(throughput)} pairs)")]
        return [*rows, (f"four simulators ready, catalog {args.large:,}", f"{ready:.0f} s", "started together")]
    finally:
        large_sup.stop_all()
        small_sup.stop_all()


def answered(response: httpx.Response) -> str:
    """The answer without its extensions (cost and budget figures) and the times stock was read
    (which differ between two reads), for comparing two gateways' answers."""
    body = {k: v for k, v in response.json().items() if k != "extensions"}
    return re.sub(r'"asOf": "[^"]*"', '"asOf": ""', json.dumps(body))


def encoding_times(answer: dict) -> tuple[float, float]:
    """Seconds to encode the answer (as parsed back: plain values, as the executor hands them over)
    with the gateway's encoder and with json.dumps as strawberry calls it; best of 5 × 200."""
    def best(encode) -> float:
        return min(timeit.repeat(lambda: encode(answer), number=200, repeat=5)) / 200

    return best(encode_body), best(lambda data: json.dumps(data, separators=(",", ":")))


def guard_ratios(guarded: Gateway, keyed: str, unguarded: Gateway, open_: str,
                 args: argparse.Namespace) -> tuple[list[float], list[float]]:
    """Throughput and CPU time per request of the gateway over those of the unguarded baseline, in
    back-to-back pairs (which one goes first alternates): the machine's drift hits both alike."""
    throughput, cpu = [], []
    for round_ in range(args.rounds):
        runs = [(guarded, keyed), (unguarded, open_)]
        if round_ % 2:
            runs.reverse()
        figures = {}
        for gateway, lua in runs:
            before = cpu_seconds(gateway.pid)
            run = wrk(f"{gateway.base}/graphql", lua, args.duration, args.connections)
            figures[gateway.base] = run["rps"], (cpu_seconds(gateway.pid) - before) / run["requests"]
        (rps, cpu_each), (base_rps, base_cpu_each) = figures[guarded.base], figures[unguarded.base]
        throughput.append(rps / base_rps)
        cpu.append(cpu_each / base_cpu_each)
    return throughput, cpu


def measure_rss() -> str:
    sup = Supervisor()
    try:
        _, gateway = start_stack(100_000, sup)
        base, pid = gateway.base, gateway.pid
        with httpx.Client(timeout=60, headers={"X-API-Key": gateway.key}) as client:
            after = None
            for _ in range(40):  # walk 2,000 products deep, the way a crawler would
                page = client.post(f"{base}/graphql", json={
                    "query": "query($a: String) { products(first: 50, after: $a) { pageInfo { endCursor } "
                             "edges { node { title variants { price { amount } quantityAvailable } } } } }",
                    "variables": {"a": after}}).json()
                after = page["data"]["products"]["pageInfo"]["endCursor"]
        return f"{rss_mb(pid):.0f} MB"
    finally:
        sup.stop_all()


def print_table(rows: list[tuple[str, object, str]], args: argparse.Namespace) -> None:
    print(f"\nListing benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {' / '.join(f'{n:.2f}' for n in os.getloadavg())} at the end, "
          f"Python {platform.python_version()}, wrk -c{args.connections}, {args.duration} s per run, "
          f"catalog {args.size:,}\n")
    print(f"| scenario | requests/s ({args.connections} connections) | p50 ms under load "
          "| p50 ms, one at a time | p99 ms, one at a time | note |")
    print("|---|---:|---:|---:|---:|---|")
    for name, value, note in rows:
        if isinstance(value, dict):
            print(f"| {name} | {value['rps']:.0f} | {value['loaded_p50']:.1f} | {value['p50']:.1f} "
                  f"| {value['p99']:.1f} | {note} |")
        else:
            print(f"| {name} | {value} | | | | {note} |")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"\n(took {time.monotonic() - started:.0f} s)")
