"""Benchmark: a query over GET answered in full against the same query revalidated with
`If-None-Match` (304, no body), on one gateway in one run. Prints a Markdown table for the README.

The 304 saves the body's bytes and the client's parse, not the gateway's work: to know that
nothing changed, the gateway answers the query and compares the ETag.

    .venv/bin/python bench/http_caching.py [--duration 10] [--connections 8] [--size 1000] [--smoke]
"""

from __future__ import annotations

import os
import platform
from datetime import date
from urllib.parse import urlencode

import httpx

from harness import get_script, load_parser, measure, parse_for_wrk, start_stack  # first: puts the layers on the path

from gateway.processes import Supervisor

QUERY = """{ products(first: 50) { edges { node {
  sku title brand priceRange { minVariantPrice { amount currencyCode } } variants { sku price { amount } }
} } } }"""


def main() -> None:
    parser = load_parser(__doc__)
    args = parse_for_wrk(parser)
    sup = Supervisor()
    try:
        _, gateway = start_stack(args.size, sup)
        url = f"{gateway.base}/graphql?{urlencode({'query': QUERY})}"
        full = httpx.get(url, headers={"X-API-Key": gateway.key}, timeout=30)
        etag = full.headers["etag"]
        assert httpx.get(url, headers={"X-API-Key": gateway.key, "If-None-Match": etag}).status_code == 304
        rows = [("GET, full answer", measure(url, get_script(gateway.key), args), f"{len(full.content):,} bytes"),
                ("GET, If-None-Match → 304", measure(url, get_script(gateway.key, **{"If-None-Match": etag}), args), "0 bytes")]
    finally:
        sup.stop_all()
    print(f"\nHTTP caching benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.connections} connections, {args.duration} s per run\n")
    print(f"| scenario | requests/s ({args.connections} connections) | p50 ms under load | p50 ms, one at a time "
          "| body |")
    print("|---|---:|---:|---:|---:|")
    for name, r, body in rows:
        print(f"| {name} | {r['rps']:.0f} | {r['loaded_p50']:.1f} | {r['p50']:.1f} | {body} |")


if __name__ == "__main__":
    main()
