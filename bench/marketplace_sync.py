"""Benchmark: the marketplace push's lag (README: Marketplace sync).

A stock count written through the ERP's JSON-2 API (Odoo's Physical Inventory: create the counted quant,
apply it) until the marketplace's offer (`GET /sell/inventory/v1/offer?sku=`, polled every 10 ms) holds
the ERP's sellable stock less the buffer, through a `serve` process whose change-feed poll runs every
0.5 s (changes settle for 1 s first, `catalog.changes_settle_seconds`' minimum) and whose push follows
the event log every 0.25 s; N changes one after another, p50 and p99, once the start-up reconciliation
of every offer is over. The baseline, in the same run: the
bare `bulk_update_price_quantity` round trip through the eBay adapter, N times.

    .venv/bin/python bench/marketplace_sync.py [--size 1000] [--changes 60] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from harness import SMOKE_SIZE, percentile, start_gateway, start_simulators

from domain.records import Money, PriceQuantityUpdate
from gateway.processes import Supervisor
from gateway.settings import load_settings
from gateway.wiring import wire_backends
from simulators.catalog import LOCATIONS, Catalog
from resolvers.marketplace_push import RECONCILE_SLICE
from simulators.ebay import OFFER_ID_BASE

BUFFER = 2
ODOO = {"Authorization": "bearer odoo-demo-key"}
EBAY = {"Authorization": "Bearer ebay-demo-token"}
DC1 = LOCATIONS[0]


def offer_quantity(http: httpx.Client, sku: str, variant_id: int) -> int | None:
    answer = http.get("/sell/inventory/v1/offer", params={"sku": sku}, headers=EBAY).json()
    return next((o["availableQuantity"] for o in answer.get("offers", [])
                 if o["offerId"] == f"{OFFER_ID_BASE + variant_id}"), None)


def count_dc1(odoo: httpx.Client, variant_id: int, counted: int) -> None:
    quant = odoo.post("/json/2/stock.quant/create", headers=ODOO, json={
        "context": {"inventory_mode": True},
        "vals_list": [{"product_id": variant_id, "location_id": DC1.stock_location_id, "inventory_quantity": counted}]})
    odoo.post("/json/2/stock.quant/action_apply_inventory", headers=ODOO, json={"ids": quant.json()}).raise_for_status()


def wait_for(http: httpx.Client, sku: str, variant_id: int, expected: int, began: float, limit: float) -> float:
    while offer_quantity(http, sku, variant_id) != expected:
        if time.perf_counter() - began > limit:
            raise SystemExit(f"the offer of {sku} did not reach {expected} within {limit:.0f} s")
        time.sleep(0.01)
    return time.perf_counter() - began


def push_lags(sims: dict[str, str], catalog: Catalog, changes: int, started: float) -> tuple[list[float], float]:
    """ERP write to the offer, `changes` times, each on a SKU of its own; and how long after `started` (the
    gateway's start) the start-up reconciliation was over (its last slice set the last SKU's offer)."""
    listed = listed_variants(catalog)
    lags = []
    with httpx.Client(base_url=sims["ebay"]) as ebay, httpx.Client(base_url=sims["odoo"]) as odoo:
        last = listed[-1]
        wait_for(ebay, last.sku, last.erp_id, max(0, sellable(catalog, last.erp_id, None) - BUFFER), started, 600)
        reconciled = time.perf_counter() - started
        time.sleep(1)  # the last slice's pass ends (its states kept, the position saved)
        for n, variant in enumerate(listed[:changes]):
            counted = 40 + n % 7 + catalog.stock(variant.erp_id, DC1)[1]  # what is reserved stays reserved
            expected = max(0, sellable(catalog, variant.erp_id, counted) - BUFFER)
            began = time.perf_counter()
            count_dc1(odoo, variant.erp_id, counted)
            lags.append(wait_for(ebay, variant.sku, variant.erp_id, expected, began, 30))
    return lags, reconciled


def listed_variants(catalog: Catalog) -> list:
    """The marketplace's SKUs, in the order the reconciliation takes them."""
    return sorted((v for p in catalog.products if p.on_marketplace for v in p.variants), key=lambda v: v.sku)


def sellable(catalog: Catalog, variant_id: int, dc1_counted: int | None) -> int:
    """Free units in every warehouse (the marketplace channel's default), DC1 counted anew when given."""
    total = 0
    for location in LOCATIONS:
        on_hand, reserved = catalog.stock(variant_id, location)
        if location is DC1 and dc1_counted is not None:
            on_hand = dc1_counted
        total += max(0, on_hand - reserved)
    return total


async def bare_updates(sims: dict[str, str], catalog: Catalog, rounds: int) -> list[float]:
    """The baseline: one bulk update of one SKU through the adapter, `rounds` times."""
    env = {f"CGW_BACKENDS__{n.upper()}__BASE_URL": url for n, url in sims.items()} | {"CGW_CONFIG": os.devnull}
    wired = wire_backends(load_settings(environ=env))
    variant = listed_variants(catalog)[-2]  # one the measured changes leave alone, and not the last (waited for)
    times = []
    try:
        for n in range(rounds):
            began = time.perf_counter()
            await wired.backends.marketplace.update_price_quantity([PriceQuantityUpdate(
                variant.sku, f"{OFFER_ID_BASE + variant.erp_id}", n % 9, Money(Decimal("19.99"), "EUR"))])
            times.append(time.perf_counter() - began)
    finally:
        await wired.aclose()
    return times


def run(args: argparse.Namespace) -> None:
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        started = time.perf_counter()
        start_gateway(sims, sup, name="gateway-marketplace-sync", settings={
            "CGW_MARKETPLACE_SYNC__ENABLED": "true", "CGW_MARKETPLACE_SYNC__POLL_SECONDS": "0.25",
            "CGW_MARKETPLACE_SYNC__ORDERS_POLL_SECONDS": "0", "CGW_MARKETPLACE_SYNC__BUFFER": str(BUFFER),
            "CGW_CACHE__INVALIDATION_POLL_SECONDS": "0.5", "CGW_CATALOG__CHANGES_SETTLE_SECONDS": "1",
            "CGW_CATALOG__STOCK_CACHE_SECONDS": "0"})
        catalog = Catalog(args.size)
        baseline = asyncio.run(bare_updates(sims, catalog, args.changes))
        lags, reconciled = push_lags(sims, catalog, args.changes, started)
    finally:
        sup.stop_all()
    print(f"\nMarketplace sync benchmark, {datetime.now(UTC).date()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.size:,}-product catalog, {args.changes} changes\n")
    print("| | p50 | p99 | min | max |")
    print("|---|---:|---:|---:|---:|")
    for name, values in (("bare bulk_update_price_quantity round trip", baseline),
                         ("ERP stock write to the eBay offer (poll 0.5 s, settle 1 s, push every 0.25 s)", lags)):
        print(f"| {name} | {statistics.median(values) * 1000:,.0f} ms | {percentile(values, 0.99) * 1000:,.0f} ms "
              f"| {min(values) * 1000:,.0f} ms | {max(values) * 1000:,.0f} ms |")
    print(f"\nStart-up reconciliation of every offer, in slices of {RECONCILE_SLICE} SKUs (from the gateway's start "
          f"to the last SKU's offer set): {reconciled:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000, help="products in the simulators' catalog")
    parser.add_argument("--changes", type=int, default=60, help="ERP changes measured (and baseline rounds)")
    parser.add_argument("--smoke", action="store_true", help="a quick check that the script works")
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(size=SMOKE_SIZE, changes=2)
    run(args)


if __name__ == "__main__":
    main()
