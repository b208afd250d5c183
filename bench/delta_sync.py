"""Benchmark: a delta sync with no changes (`catalogChanges` from the current cursor) against the
cheapest lookup (`product(sku:)`, one ERP call) and the 50-product listing an app would refetch
without delta sync, on one gateway in one run. Prints a Markdown table for the README.

The empty sync asks each of the web channel's change feeds once (ERP templates, variants and
stock quants by write_date, the web-shop's modified_after, the app backend's updated_at).

    .venv/bin/python bench/delta_sync.py [--duration 10] [--connections 8] [--size 1000] [--smoke]
"""

from __future__ import annotations

import os
import platform
import time
from datetime import date
from urllib.parse import urlencode

import httpx

from harness import get_script, load_parser, measure, parse_for_wrk, start_stack  # first: puts the layers on the path

from gateway.processes import Supervisor

SYNC = "query($since: String) { catalogChanges(since: $since, first: 100) { nodes { sku } pageInfo { endCursor } } }"
LOOKUP = '{ product(sku: "CG-000001") { sku title } }'
LISTING = """{ products(first: 50) { edges { node {
  sku title brand priceRange { minVariantPrice { amount currencyCode } } variants { sku price { amount } }
} } } }"""


def current_cursor(base: str, key: str) -> str:
    """Pages through every change there is (the whole catalog, from no cursor) to the cursor of now."""
    since = None
    with httpx.Client(headers={"X-API-Key": key}, timeout=60) as client:
        while True:
            answer = client.post(f"{base}/graphql", json={"query": SYNC, "variables": {"since": since}}).json()
            page = answer["data"]["catalogChanges"]
            since = page["pageInfo"]["endCursor"]
            if not page["nodes"]:
                return since


def main() -> None:
    parser = load_parser(__doc__)
    args = parse_for_wrk(parser)
    sup = Supervisor()
    try:
        _, gateway = start_stack(args.size, sup)
        started = time.perf_counter()
        cursor = current_cursor(gateway.base, gateway.key)
        full_sync = time.perf_counter() - started
        urls = {
            "catalogChanges, nothing changed": {"query": SYNC, "variables": f'{{"since": "{cursor}"}}'},
            "product(sku:), one ERP call": {"query": LOOKUP},
            "products(first: 50) with prices": {"query": LISTING},
        }
        rows = []
        for name, params in urls.items():
            url = f"{gateway.base}/graphql?{urlencode(params)}"
            answer = httpx.get(url, headers={"X-API-Key": gateway.key}, timeout=30)
            assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
            rows.append((name, measure(url, get_script(gateway.key), args), len(answer.content)))
    finally:
        sup.stop_all()
    print(f"\nDelta sync benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.connections} connections, {args.duration} s per run; "
          f"the first sync of all {args.size:,} products took {full_sync:.1f} s\n")
    print(f"| request (GET) | requests/s ({args.connections} connections) | p50 ms, one at a time | body |")
    print("|---|---:|---:|---:|")
    for name, r, size in rows:
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {size:,} bytes |")


if __name__ == "__main__":
    main()
