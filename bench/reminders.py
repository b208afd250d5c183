"""Benchmark: reminder evaluation (README: Reminders and alerts).

1. Changes per second: catalog changes (a changed SKU each) published to the invalidation log, then
   one worker pass that follows the log, finds the customers who saved each SKU, reads today's figures
   from the ERP simulator (one batched read per page of watches) and writes what it decides to the
   outbox; against 100,000 saved items and, as the baseline in the same run, 1,000 (what grows with
   the saved items is only the number of watches per change: the lookup is served by an index).
2. End to end: a stock count written through the ERP's JSON-2 API until the e-mail is in an SMTP sink
   in this process, through a `serve` process whose poll and worker run every second (changes settle
   for 1 s first, `catalog.changes_settle_seconds`' minimum).

    .venv/bin/python bench/reminders.py [--size 1000] [--saved 100000] [--changes 500] [--rounds 5] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from harness import SMOKE_SIZE, start_gateway, start_simulators

from adapters.mongo.embedded import IN_MEMORY, new_server
from adapters.mongo.lists import to_document
from domain.lists import SavedItem, SavedList
from domain.records import CatalogInvalidation
from domain.reminders import AlertPreferences, Delivery
from gateway.mail_sink import start_sink
from gateway.processes import Supervisor, cli_argv, free_port
from gateway.settings import load_settings
from gateway.wiring import build_services
from resolvers.reminders.worker import ReminderWorker
from simulators.catalog import LOCATIONS, Catalog

# 4,000 customers with 25 items each: the embedded store's inserts slow down with every document it holds,
# so seeding 10,000 lists of 10 would take minutes more (a real MongoDB would not care)
ITEMS_PER_CUSTOMER = 25
WEB = [loc for loc in LOCATIONS if loc.code in ("DC1", "DC2", "DC3")]


def settings_env(sims: dict[str, str], mongo_url: str, database: str) -> dict[str, str]:
    env = {f"CGW_BACKENDS__{n.upper()}__BASE_URL": url for n, url in sims.items()}
    return env | {"CGW_CONFIG": os.devnull, "CGW_MONGO__URL": mongo_url, "CGW_MONGO__DATABASE": database,
                  "CGW_BACKENDS__ODOO__BRAND_FIELD": "product_brand_id", "CGW_CATALOG__STOCK_CACHE_SECONDS": "0"}


async def seed(built, catalog: Catalog, saved: int) -> list[str]:
    """`saved` items of `saved / 25` customers over every SKU of the catalog, round robin, each with the
    price and stock of the web shop when saved (so a change that moves neither across a mark decides
    nothing, as most changes do); the SKUs."""
    skus = [(v.sku, v.list_price, available(catalog, v.erp_id)) for p in catalog.products for v in p.variants]
    now = datetime.now(UTC)
    lists = built.services.lists.lists
    # the embedded store checks a unique index by reading every document at each insert: the two on a
    # customer's lists' places, which the worker never reads, would make seeding quadratic
    for unique in ("list_per_slot", "list_name_per_customer"):
        await lists.drop_index(unique)
    documents = []
    for c in range(saved // ITEMS_PER_CUSTOMER):
        items = tuple(SavedItem(str(n + 1), sku, now, "WEB", price, "EUR", stock)
                      for n in range(ITEMS_PER_CUSTOMER)
                      for sku, price, stock in [skus[(c * ITEMS_PER_CUSTOMER + n) % len(skus)]])
        documents.append(to_document(SavedList(f"bench-{c}", "Saved for later", 1, now, now, f"cust-{c:06d}",
                                               default=True, items=items, slot=0)))
        if len(documents) == 500:
            await lists.insert_many(documents)
            documents = []
    if documents:
        await lists.insert_many(documents)
    return [sku for sku, _, _ in skus]


def available(catalog: Catalog, variant_id: int) -> int:
    return sum(max(0, on_hand - reserved) for on_hand, reserved in (catalog.stock(variant_id, loc) for loc in WEB))


async def changes_per_second(sims: dict[str, str], catalog: Catalog, saved: int, changes: int) -> dict[str, float]:
    """On an embedded store of its own, in memory, in this process (its work is counted in the pass's time)."""
    server = new_server(IN_MEMORY)
    mongo_url = (await server.start()).uri
    try:
        return await _changes_per_second(sims, mongo_url, catalog, saved, changes)
    finally:
        await server.close()


async def _changes_per_second(sims: dict[str, str], mongo_url: str, catalog: Catalog, saved: int,
                              changes: int) -> dict[str, float]:
    database = "bench_reminders"
    settings = load_settings(environ=settings_env(sims, mongo_url, database))
    async with build_services(settings) as built:
        skus = await seed(built, catalog, saved)
        changed = skus[:changes]
        for start in range(0, len(changed), 10):  # as the poll publishes: a few SKUs per read of the feeds
            await built.invalidations.publish(CatalogInvalidation(variant_skus=tuple(changed[start:start + 10])),
                                              "bench", datetime.now(UTC))
        worker = ReminderWorker(built.services, built.services.reminders, built.invalidations, built.services.lists,
                                every_seconds=3600)
        began = time.perf_counter()
        report = await worker.run_pass()
        elapsed = time.perf_counter() - began
    assert report is not None and report.skus == len(changed), report
    watches = len(changed) * saved / len(skus)
    return {"changes_per_s": len(changed) / elapsed, "watches_per_s": watches / elapsed, "seconds": elapsed,
            "decided": report.decided, "watches": watches}


def count_stock(odoo: str, variant_id: int, available: int, catalog: Catalog) -> None:
    """Physical inventory in the web shop's warehouses: `available` free units, all in DC1."""
    headers = {"Authorization": "bearer odoo-demo-key"}
    for n, location in enumerate(WEB):
        reserved = catalog.stock(variant_id, location)[1]
        quant = httpx.post(f"{odoo}/json/2/stock.quant/create", headers=headers, json={
            "context": {"inventory_mode": True}, "vals_list": [{"product_id": variant_id,
                                                                "location_id": location.stock_location_id,
                                                                "inventory_quantity": reserved + (available if n == 0 else 0)}]})
        httpx.post(f"{odoo}/json/2/stock.quant/action_apply_inventory", headers=headers,
                   json={"ids": quant.json()}).raise_for_status()


async def end_to_end(sims: dict[str, str], sup: Supervisor, mongo_url: str, catalog: Catalog,
                     rounds: int) -> list[float]:
    controller, sink = start_sink()
    database = "bench_reminders_e2e"
    start_gateway(sims, sup, mongo_url, name="gateway-reminders", settings={
        "CGW_MONGO__DATABASE": database, "CGW_SMTP__HOST": "127.0.0.1", "CGW_SMTP__PORT": str(controller.port),
        "CGW_REMINDERS__EVERY_SECONDS": "1", "CGW_CACHE__INVALIDATION_POLL_SECONDS": "1",
        "CGW_CATALOG__CHANGES_SETTLE_SECONDS": "1", "CGW_CATALOG__STOCK_CACHE_SECONDS": "0"})
    settings = load_settings(environ=settings_env(sims, mongo_url, database))
    delays = []
    try:
        async with build_services(settings) as built:
            variants = [p.variants[0] for p in catalog.products[-rounds:]]
            now = datetime.now(UTC)
            for n, variant in enumerate(variants):
                customer = f"e2e-{uuid.uuid4().hex[:8]}"
                await built.services.reminders.state.set_preferences(AlertPreferences(
                    customer, frozenset({Delivery.EMAIL}), email=f"{customer}@example.com", updated_at=now))
                item = SavedItem("1", variant.sku, now, "WEB", variant.list_price, "EUR", 100)
                await built.services.lists.insert(SavedList(f"e2e-{n}-{customer}", "Saved for later", 1, now, now,
                                                            customer, default=True, items=(item,), slot=0))
                count_stock(sims["odoo"], variant.erp_id, 50, catalog)  # plenty first: the next count crosses
                await asyncio.sleep(3)
                before = len(sink.messages)
                began = time.perf_counter()
                count_stock(sims["odoo"], variant.erp_id, 3, catalog)
                while not any(m["To"] == f"{customer}@example.com" for m in sink.messages[before:]):
                    if time.perf_counter() - began > 30:
                        raise SystemExit(f"no e-mail within 30 s for {variant.sku}")
                    await asyncio.sleep(0.01)
                delays.append(time.perf_counter() - began)
    finally:
        controller.stop()
    return delays


async def run(args: argparse.Namespace) -> None:
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        store_port = free_port()
        sup.start("store", cli_argv("embedded-store", "--path", str(Path(tempfile.mkdtemp()) / "reminders.sqlite"),
                                    "--port", str(store_port)))
        sup.wait_until("store", f"tcp://127.0.0.1:{store_port}")
        mongo_url = f"mongodb://127.0.0.1:{store_port}/?directConnection=true"
        catalog = Catalog(args.size)
        rows = [(saved, await changes_per_second(sims, catalog, saved, args.changes))
                for saved in (args.baseline, args.saved)]
        delays = await end_to_end(sims, sup, mongo_url, catalog, args.rounds)
    finally:
        sup.stop_all()
    print(f"\nReminder benchmark, {datetime.now(UTC).date()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.size:,}-product catalog, {args.changes} changed SKUs\n")
    print("| saved items | watches evaluated | decided | pass seconds | changes/s | watches/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for saved, r in rows:
        print(f"| {saved:,} | {r['watches']:,.0f} | {r['decided']} | {r['seconds']:.2f} | {r['changes_per_s']:,.0f} "
              f"| {r['watches_per_s']:,.0f} |")
    print(f"\nERP write to e-mail in the sink (poll and worker every 1 s, 1 s settle), {len(delays)} rounds: "
          f"median {statistics.median(delays):.2f} s, min {min(delays):.2f} s, max {max(delays):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000, help="products in the simulators' catalog")
    parser.add_argument("--saved", type=int, default=100_000, help="saved items")
    parser.add_argument("--baseline", type=int, default=1_000, help="saved items of the baseline")
    parser.add_argument("--changes", type=int, default=500, help="changed SKUs")
    parser.add_argument("--rounds", type=int, default=5, help="end-to-end rounds")
    parser.add_argument("--smoke", action="store_true", help="a quick check that the script works")
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(size=SMOKE_SIZE, saved=2_000, baseline=100, changes=20, rounds=1)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
