"""Benchmark: the 50-product listing of bench/listing.py answered from the shared answer cache,
against a plain Starlette endpoint returning the same body (the ceiling), and how long a price
written through the ERP's write API takes to show in the cached listing (invalidation from the
change feeds, with the default settle time and poll interval). Prints a Markdown table for the
README.

    .venv/bin/python bench/answer_cache.py [--duration 10] [--connections 8] [--size 1000] [--changes 5] [--smoke]
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
from datetime import date

import httpx

from harness import (load_parser, measure, parse_for_wrk, post_script, post_twice,  # first: puts the layers on the path
                     start_gateway, start_plain, start_simulators)

from gateway.processes import Supervisor
from listing import QUERY

PRICES = """{ products(first: 50) { edges { node { sku priceRange { minVariantPrice { amount } } } } } }"""
ODOO_KEY = {"Authorization": "bearer odoo-demo-key"}


def main() -> None:
    parser = load_parser(__doc__)
    parser.add_argument("--changes", type=int, default=5, help="ERP price changes timed until they show")
    args = parse_for_wrk(parser, changes=1)
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        gateway = start_gateway(sims, sup, settings={"CGW_CACHE__ANSWER_CACHE_BYTES": str(64 * 1024 * 1024)})
        body = json.dumps({"query": QUERY})
        answer, again, calls = post_twice(gateway, sims, body)
        assert not any(calls.values()) and "age" in again.headers, "the second answer must come from the cache"
        ceiling = measure(start_plain(sup, answer.content), post_script(body), args)
        cached = measure(f"{gateway.base}/graphql", post_script(body, gateway.key), args)
        delays = price_delays(gateway.base, gateway.key, sims["odoo"], args.changes)
    finally:
        sup.stop_all()
    print(f"\nAnswer cache benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.connections} connections, {args.duration} s per run, "
          f"catalog {args.size:,}\n")
    print(f"| scenario | requests/s ({args.connections} connections) | p50 ms under load | p50 ms, one at a time "
          "| p99 ms, one at a time | note |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| response body | {len(answer.content):,} bytes | | | | |")
    for name, r, note in (("plain Starlette JSON (ceiling)", ceiling, ""),
                          ("gateway, listing from the answer cache", cached,
                           f"{cached['rps'] / ceiling['rps']:.0%} of ceiling")):
        print(f"| {name} | {r['rps']:.0f} | {r['loaded_p50']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | {note} |")
    print(f"| ERP list price written → cached listing shows it (median of {len(delays)}, settle 2 s, poll 2 s) "
          f"| {statistics.median(delays):.2f} s | | | | min {min(delays):.2f} s, max {max(delays):.2f} s |")


def price_delays(base: str, key: str, odoo: str, changes: int) -> list[float]:
    """Seconds from an ERP write of a list price on the listing's page to the cached listing showing it."""
    delays = []
    with httpx.Client(headers={"X-API-Key": key}, timeout=30) as client:
        def amounts() -> list[str]:
            edges = client.post(f"{base}/graphql", json={"query": PRICES}).json()["data"]["products"]["edges"]
            return [e["node"]["priceRange"]["minVariantPrice"]["amount"] for e in edges]

        for n in range(changes):
            amounts()
            amounts()  # kept now
            time.sleep(random.uniform(0, 2))  # at another point of the poll interval each time
            price = f"{500 + n}.25"
            product_id = 1 + n * 7 % 50  # on the page
            httpx.post(f"{odoo}/json/2/product.template/write", headers=ODOO_KEY,
                       json={"ids": [product_id], "vals": {"list_price": float(price)}}).raise_for_status()
            written = time.monotonic()
            while amounts()[product_id - 1] != price:
                if time.monotonic() - written > 30:
                    raise SystemExit("the price change did not reach the cached listing within 30 s")
                time.sleep(0.02)
            delays.append(time.monotonic() - written)
    return delays


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"\n(took {time.monotonic() - started:.0f} s)")
