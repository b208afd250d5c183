"""Benchmark: recommendations, read and kept.

Starts the simulators (the ERP holds the seeded order history: 3,000 orders at 1,000 products), one
embedded store and the gateway on it, with its background pass off: this script folds the orders in
itself, timed, first the whole history (a first load), then `--new-orders` orders made through the
ERP's API after it (incremental). Then wrk measures, in the same run:
- `product(sku:) { sku title }`, the baseline: a plain product read;
- `product(sku:) { recommendations(first: 10) { product { sku title } reason score } }`;
- `me { recommendations(first: 10) { … } }` for the seeded customers (a token each, at random);
each over random products (or customers) of the history. Prints a Markdown table for the README.

    .venv/bin/python bench/recommendations.py [--duration 10] [--connections 8] [--size 1000] [--smoke]
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import date as day
from decimal import Decimal
from pathlib import Path

from harness import load_parser, measure, parse_for_wrk, post_any_script, start_gateway, start_simulators  # first

from domain.records import OrderDraft, OrderLine
from gateway.identity import issue_token
from gateway.processes import Supervisor, cli_argv, free_port
from gateway.settings import AuthSettings, load_settings
from gateway.wiring import build_services
from resolvers.recommendation_feed import fold_orders
from simulators.catalog import Catalog
from simulators.order_history import order_history

FIELDS = "recommendations(first: 10) { product { sku title } reason score }"
PRODUCT = "query($sku: String!) { product(sku: $sku) { sku title } }"
PRODUCT_RECS = f"query($sku: String!) {{ product(sku: $sku) {{ sku {FIELDS} }} }}"
ME_RECS = f"{{ me {{ {FIELDS} }} }}"
LONG_LEASE = 3_600.0  # the timed passes hold the lease this long: nothing else folds meanwhile


def with_tokens(body: str, key: str, tokens: list[str]) -> str:
    """A wrk script POSTing `body` as a customer picked at random per request."""
    listed = ",\n".join(json.dumps(f"Bearer {t}") for t in tokens)
    return ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["X-API-Key"] = {json.dumps(key)}\nwrk.body = {json.dumps(body)}\n'
            f"tokens = {{{listed}}}\n"
            'request = function() wrk.headers["Authorization"] = tokens[math.random(#tokens)] '
            "return wrk.format() end\n")


async def fold_all(environ: dict[str, str], clock_start: datetime) -> tuple[int, float]:
    """Folds every order not folded yet; how many, and in how many seconds."""
    settings = load_settings(environ=environ)
    now = clock_start
    async with build_services(settings, clock=lambda: now) as built:
        store = built.services.recommendations
        assert store is not None
        started = time.perf_counter()
        folded = await fold_orders(built.services, store, LONG_LEASE, max_pages=100_000)
        return folded or 0, time.perf_counter() - started


async def make_orders(environ: dict[str, str], catalog: Catalog, count: int) -> None:
    """`count` confirmed orders of two products each, through the ERP's API, as a checkout makes them."""
    rng = random.Random(15)
    async with build_services(load_settings(environ=environ)) as built:
        erp = built.services.backends.erp
        for n in range(count):
            products = rng.sample(catalog.products, 2)
            lines = tuple(OrderLine(p.variants[0].erp_id, p.variants[0].sku, 1, Decimal("10.00")) for p in products)
            await erp.create_order(OrderDraft(
                reference=f"bench-{n}-{time.time_ns()}", channel="WEB", customer_id=f"cust-{1 + n % 50:04d}",
                email="bench@example.com", name="Bench", address=None, warehouse_code=None, lines=lines,
                note=None, payment_reference="bench"))


def main() -> None:
    parser = load_parser(__doc__)
    parser.add_argument("--new-orders", type=int, default=300, help="orders made after the first load")
    args = parse_for_wrk(parser, new_orders=20)
    catalog = Catalog(args.size)
    history = order_history(catalog)
    sup = Supervisor()
    try:
        store_port = free_port()
        store_path = Path(tempfile.mkdtemp()) / "recommendations.sqlite"
        sup.start("store", cli_argv("embedded-store", "--path", str(store_path), "--port", str(store_port)))
        sup.wait_until("store", f"tcp://127.0.0.1:{store_port}")
        mongo_url = f"mongodb://127.0.0.1:{store_port}/?directConnection=true"
        sims = start_simulators(args.size, sup)
        environ = {f"CGW_BACKENDS__{n.upper()}__BASE_URL": url for n, url in sims.items()}
        environ |= {"CGW_CONFIG": os.devnull, "CGW_MONGO__URL": mongo_url,
                    "CGW_BACKENDS__ODOO__BRAND_FIELD": "product_brand_id"}
        gateway = start_gateway(sims, sup, mongo_url, settings={"CGW_CATALOG__RECOMMENDATIONS_POLL_SECONDS": "0"})
        later = datetime.now(UTC) + timedelta(hours=1)  # every order made by now has settled
        first_load = asyncio.run(fold_all(environ, later))
        asyncio.run(make_orders(environ, catalog, args.new_orders))
        incremental = asyncio.run(fold_all(environ, later + timedelta(hours=2)))
        again = asyncio.run(fold_all(environ, later + timedelta(hours=4)))
        assert again[0] == 0, f"a second pass folded {again[0]} orders in again"

        ranked = sorted(catalog.products, key=lambda p: -sum(
            1 for o in history.orders for line in o.lines if catalog.variants_by_erp_id[line.variant_erp_id][0] is p))
        skus = [p.variants[0].sku for p in ranked[:50]]
        auth = AuthSettings()
        tokens = [issue_token(c.ref, auth, ttl_seconds=7_200) for c in history.customers[:50]]
        url = f"{gateway.base}/graphql"

        def bodies(query: str) -> list[str]:
            return [json.dumps({"query": query, "variables": {"sku": s}}) for s in skus]

        rows = [
            ("product(sku:) { sku title } (baseline)", measure(url, post_any_script(bodies(PRODUCT), gateway.key), args)),
            ("product { recommendations(first: 10) }",
             measure(url, post_any_script(bodies(PRODUCT_RECS), gateway.key), args)),
            ("me { recommendations(first: 10) }",
             measure(url, with_tokens(json.dumps({"query": ME_RECS}), gateway.key, tokens), args)),
        ]
    finally:
        sup.stop_all()
    baseline = rows[0][1]["rps"]
    print(f"\nRecommendations benchmark, {day.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.connections} connections, {args.duration} s per run, "
          f"catalog {args.size}, {len(history.orders)} seeded orders\n")
    print(f"| scenario | requests/s ({args.connections} connections) | p50 ms under load | p99 ms under load "
          "| p50 ms, one at a time | throughput vs baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['rps']:.0f} | {r['loaded_p50']:.1f} | {r['loaded_p99']:.1f} | {r['p50']:.1f} "
              f"| {r['rps'] / baseline:.1%} |")
    for name, (orders, seconds) in (("first load (the whole history)", first_load),
                                    (f"incremental ({args.new_orders} new orders)", incremental)):
        print(f"| folding orders in, {name} | {orders / seconds:.0f} | | | | {orders} orders in {seconds:.1f} s |")


if __name__ == "__main__":
    main()
