"""Benchmark: the 50-product listing with price, stock and store availability.

Runs, in one go and on one machine: the four simulators, the gateway (`commerce-gateway
serve`, embedded store included), and a plain Starlette endpoint returning a JSON body
of the same size (the ceiling). Load comes from `wrk` (apt-get install wrk), POSTing
the same document. Prints a Markdown table for the README.

    .venv/bin/python bench/listing.py [--duration 10] [--connections 8] [--rss]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from harness import ROOT, measure, post_script, rss_mb, start_stack, wrk  # first: puts src/ on the path

from commerce_gateway.gateway.processes import Supervisor, free_port

QUERY = """{ products(first: 50) { edges { node {
  sku title brand priceRange { minVariantPrice { amount currencyCode } }
  availableForSale totalInventory
  variants { sku price { amount currencyCode } quantityAvailable stock { quantity asOf } }
  storeAvailability(first: 3, near: {latitude: 52.52, longitude: 13.40}) { store { name } quantity available }
} } } }"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections of the throughput runs")
    parser.add_argument("--size", type=int, default=1_000, help="catalog size of the throughput runs")
    parser.add_argument("--rss", action="store_true", help="also measure RSS with the 100,000-product catalog")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    rows = run_scenarios(args)
    if args.rss:
        rows.append(("gateway RSS, 100,000-product catalog", measure_rss(), ""))
    print_table(rows, args)


def run_scenarios(args: argparse.Namespace) -> list[tuple[str, object, str]]:
    sup = Supervisor()
    try:
        base, sims, _ = start_stack(args.size, sup)
        body = json.dumps({"query": QUERY})
        answer = httpx.post(f"{base}/graphql", content=body, headers={"content-type": "application/json"},
                            timeout=30)
        assert "errors" not in answer.json(), answer.text[:500]
        for url in sims.values():
            httpx.delete(f"{url}/__stats")
        httpx.post(f"{base}/graphql", content=body, headers={"content-type": "application/json"}, timeout=30)
        calls = {n: httpx.get(f"{u}/__stats").json()["total"] for n, u in sims.items()}

        body_file = Path(tempfile.mkdtemp()) / "body.json"
        body_file.write_bytes(answer.content)
        plain_port = free_port()
        sup.start("plain", [sys.executable, str(ROOT / "bench" / "plain_json.py"), str(plain_port), str(body_file)])
        sup.wait_until("plain", f"tcp://127.0.0.1:{plain_port}")

        wrk(f"{base}/graphql", post_script(body), 2, args.connections)  # warm-up
        ceiling = measure(f"http://127.0.0.1:{plain_port}/graphql", post_script(body), args)
        fast = measure(f"{base}/graphql", post_script(body), args)
        for url in sims.values():
            httpx.post(f"{url}/__faults", json={"latency_ms": 20})
        slow = measure(f"{base}/graphql", post_script(body), args)
        return [
            ("response body", f"{len(answer.content):,} bytes", ""),
            ("backend calls per query (odoo/woocommerce/medusa/ebay)",
             "/".join(str(calls[n]) for n in ("odoo", "woocommerce", "medusa", "ebay")), ""),
            ("plain Starlette JSON (ceiling)", ceiling, ""),
            ("gateway, backends at 0 ms", fast, f"{fast['rps'] / ceiling['rps']:.1%} of ceiling"),
            ("gateway, backends at 20 ms", slow, f"p50 − 20 ms = {slow['p50'] - 20:.1f} ms"),
        ]
    finally:
        sup.stop_all()


def measure_rss() -> str:
    sup = Supervisor()
    try:
        base, _, pid = start_stack(100_000, sup)
        with httpx.Client(timeout=60) as client:
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
