"""Benchmark: the read path on compiled plans against the same gateway on graphql-core's executor
(`server.compiled_queries = false`), in one run, over the same simulators.

For the 50-product listing (bench/listing.py's document) and a `product(sku:)` lookup: both
gateways' answers are checked to be the same, then throughput (8 connections) and the gateway
process's CPU time per request (user and system) are taken in back-to-back pairs, which one goes
first alternating, and reported as ratios. Then the listing one request at a time with every
backend 20 ms slow: the compiled plan fetches it in two rounds. Prints a Markdown table.

    .venv/bin/python bench/read_path.py [--duration 10] [--rounds 4] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date

import httpx

from harness import (Gateway, cpu_seconds, load_parser, parse_for_wrk,  # first: puts the layers on the path
                     post_script, start_gateway, start_simulators, wrk)
from listing import QUERY as LISTING, answered

from gateway.processes import Supervisor

LOOKUP = '{ product(sku: "CG-000007") { sku title priceRange { minVariantPrice { amount currencyCode } } } }'


def main() -> None:
    parser = load_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="pairs of runs per document")
    args = parse_for_wrk(parser, rounds=1)
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        compiled = start_gateway(sims, sup, name="compiled")
        core = start_gateway(sims, sup, name="graphql-core", settings={"CGW_SERVER__COMPILED_QUERIES": "false"})
        rows = []
        for name, query in (("50-product listing", LISTING), ("product(sku:)", LOOKUP)):
            body = json.dumps({"query": query})
            check_same(compiled, core, body)
            rows += pairs(name, body, compiled, core, args)
        for url in sims.values():
            httpx.post(f"{url}/__faults", json={"latency_ms": 20})
        body = json.dumps({"query": LISTING})
        for name, gateway in (("compiled", compiled), ("graphql-core", core)):
            alone = wrk(f"{gateway.base}/graphql", post_script(body, gateway.key), args.duration, 1)
            rows.append((f"listing, backends at 20 ms, one at a time, {name}", f"p50 {alone['p50']:.1f} ms",
                         f"p99 {alone['p99']:.1f} ms"))
        print_table(rows, args)
    finally:
        sup.stop_all()


def check_same(compiled: Gateway, core: Gateway, body: str) -> None:
    answers = [httpx.post(f"{g.base}/graphql", content=body, timeout=60,
                          headers={"content-type": "application/json", "X-API-Key": g.key}) for g in (compiled, core)]
    assert "errors" not in answers[0].json(), answers[0].text[:500]
    assert answered(answers[0]) == answered(answers[1]), "compiled plans must answer as graphql-core does"


def pairs(name: str, body: str, compiled: Gateway, core: Gateway,
          args: argparse.Namespace) -> list[tuple[str, str, str]]:
    figures: dict[str, list[tuple[float, float]]] = {"compiled": [], "core": []}
    runs = [("compiled", compiled), ("core", core)]
    for round_ in range(args.rounds):
        for label, gateway in (runs if round_ % 2 == 0 else runs[::-1]):
            before = cpu_seconds(gateway.pid)
            run = wrk(f"{gateway.base}/graphql", post_script(body, gateway.key), args.duration, args.connections)
            figures[label].append((run["rps"], (cpu_seconds(gateway.pid) - before) / max(1, run["requests"])))
    rps = [c[0] / g[0] for c, g in zip(figures["compiled"], figures["core"], strict=True)]
    cpu = [c[1] / g[1] for c, g in zip(figures["compiled"], figures["core"], strict=True)]
    ms = {label: statistics.median(f[1] for f in runs_) * 1000 for label, runs_ in figures.items()}
    req = {label: statistics.median(f[0] for f in runs_) for label, runs_ in figures.items()}
    return [
        (f"{name}: requests/s, compiled ÷ graphql-core", f"{statistics.median(rps):.2f}×",
         f"median {req['compiled']:.0f} against {req['core']:.0f} req/s; pairs {min(rps):.2f}–{max(rps):.2f}×"),
        (f"{name}: gateway CPU per request, compiled ÷ graphql-core", f"{statistics.median(cpu):.0%}",
         f"median {ms['compiled']:.1f} against {ms['core']:.1f} ms; pairs {min(cpu):.0%}–{max(cpu):.0%}"),
    ]


def print_table(rows: list[tuple[str, str, str]], args: argparse.Namespace) -> None:
    print(f"\nRead path benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, wrk -c{args.connections}, {args.duration} s per run, "
          f"{args.rounds} pairs, catalog {args.size:,}\n")
    print("| scenario | figure | note |")
    print("|---|---:|---|")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"\n(took {time.monotonic() - started:.0f} s)")
