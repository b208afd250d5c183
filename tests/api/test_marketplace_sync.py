"""The marketplace sync end to end, over the simulators: ERP stock and prices written through the ERP's
own API, the change feeds' poll publishing events, the push sending the figures to the marketplace's
offers, marketplace orders made through the marketplace simulator and imported into the ERP; passes run
one by one on a clock the test moves. The admin's view is read from a served gateway on the same store."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pymongo import AsyncMongoClient

from domain.holds import Hold
from adapters.mongo.marketplace_sync import MongoMarketplaceSync
from domain.marketplace_sync import ImportState, OrderImport
from gateway.settings import load_settings
from gateway.wiring import build_services, sync_rules
from resolvers import marketplace_push
from resolvers.catalog_invalidation import poll
from resolvers.marketplace_orders import MarketplaceImport
from resolvers.marketplace_push import MarketplacePush
from simulators.catalog import LOCATIONS, SeedProduct
from simulators.ebay import OFFER_ID_BASE
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, gateway_environ, issue_key, served_gateway

DATABASE = "marketplace_sync_tests"
SETTLE = 1.0
BUFFER = 2
RECONCILE_SECONDS = 600
ODOO = {"Authorization": "bearer odoo-demo-key"}
EBAY = {"Authorization": "Bearer ebay-demo-token"}
ENVIRON = {"CGW_MONGO__DATABASE": DATABASE, "CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE),
           "CGW_CATALOG__STOCK_CACHE_SECONDS": "0", "CGW_MARKETPLACE_SYNC__BUFFER": str(BUFFER),
           "CGW_MARKETPLACE_SYNC__RECONCILE_EVERY_SECONDS": str(RECONCILE_SECONDS),
           "CGW_MARKETPLACE_SYNC__RETRY_BASE_SECONDS": "30"}
STATUS = """query($errorsOnly: Boolean!) { marketplaceSyncStatus(first: 200, errorsOnly: $errorsOnly) {
  lastPushAt lastReconciliationAt ordersImported importCursor pushFailures importFailures
  offers { sku offerId quantity price { amount } pushedAt lagSeconds errorId error attempts retryAt } endCursor } }"""
STOCK = """query($sku: String!) { product(sku: $sku) { variants { sku quantityAvailable } } }"""


@pytest.fixture(scope="module")
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(scope="module")
def admin(backends, mongo_url, clock) -> Iterator[GraphQLClient]:
    """The gateway the admin asks (its own sync is off: the test runs the passes)."""
    with served_gateway(backends[1], mongo_url, clock, **ENVIRON) as url:
        client = GraphQLClient(url, issue_key(mongo_url, "admin", database=DATABASE, **UNLIMITED))
        yield client
        client.http.close()


@pytest.fixture(scope="module")
async def built(backends, mongo_url, clock, admin):
    settings = load_settings(environ=gateway_environ(backends[1], mongo_url, **ENVIRON))
    async with build_services(settings, clock=clock) as services:
        await poll(services.services, services.invalidations, 1.0)
        push = MarketplacePush(services.services, services.services.marketplace_sync, sync_rules(settings), 1.0,
                               RECONCILE_SECONDS)
        assert (await push.run_pass()).reconciled  # the first pass reconciles every offer
        yield services


@dataclass
class Holds:
    """Units held for carts' checkouts over every ERP location (the marketplace channel's pool), as the
    push reads them."""

    units: dict[str, int]

    def holds(self, sku: str, now: datetime) -> list[Hold]:
        pool = frozenset(loc.stock_location_id for loc in LOCATIONS)
        return [Hold(f"cart-{sku}", self.units[sku], now + timedelta(minutes=15), pool)] if sku in self.units else []

    async def holds_of(self, skus: Sequence[str], now: datetime) -> dict[str, list[Hold]]:
        return {sku: self.holds(sku, now) for sku in skus if sku in self.units}

    async def held(self, skus: Sequence[str], now: datetime, *, except_cart: str | None = None) -> dict[str, int]:
        return {sku: n for sku, n in self.units.items() if sku in skus}


def push_of(built) -> MarketplacePush:
    settings = built.settings
    return MarketplacePush(built.services, built.services.marketplace_sync, sync_rules(settings), 1.0,
                           RECONCILE_SECONDS)


async def push_pass(built, clock: MovingClock, seconds: float = SETTLE + 1, late: float = 0.5):
    """Time moves on (the changes settle, the leases end); the poll reads the feeds and publishes the
    events, the push follows `late` seconds after."""
    clock.advance(seconds)
    await poll(built.services, built.invalidations, 1.0)
    clock.advance(late)
    return await push_of(built).run_pass()


def importer(built) -> MarketplaceImport:
    return MarketplaceImport(built.services, built.services.marketplace_sync, sync_rules(built.settings), 1.0)


def odoo(simulators, model: str, method: str, **body) -> object:
    response = httpx.post(f"{simulators['odoo'].url}/json/2/{model}/{method}", json=body, headers=ODOO)
    response.raise_for_status()
    return response.json()


def set_available(backends, variant_id: int, available: int) -> None:
    """Counts the variant in every warehouse (Odoo's Physical Inventory) so that `available` units are
    free: all in DC1, none elsewhere (what is reserved stays reserved)."""
    catalog, simulators = backends
    for location in LOCATIONS:
        reserved = catalog.stock(variant_id, location)[1]
        quant = odoo(simulators, "stock.quant", "create", context={"inventory_mode": True}, vals_list=[
            {"product_id": variant_id, "location_id": location.stock_location_id,
             "inventory_quantity": reserved + (available if location.code == "DC1" else 0)}])
        odoo(simulators, "stock.quant", "action_apply_inventory", ids=quant)


def set_price(backends, product: SeedProduct, price: str) -> None:
    odoo(backends[1], "product.template", "write", ids=[product.erp_id], vals={"list_price": float(price)})


def listed(backends, count: int, start: int) -> list[SeedProduct]:
    """Products on the marketplace with one variant each (their SKU is the variant's)."""
    found = [p for p in backends[0].products if p.on_marketplace and len(p.variants) == 1
             and p.variants[0].list_price == p.list_price]
    return found[start:start + count]


def ebay_offer(backends, sku: str) -> tuple[int, Decimal]:
    """The SKU's fixed-price offer's quantity and price, as the marketplace's own API shows them."""
    answer = httpx.get(f"{backends[1]['ebay'].url}/sell/inventory/v1/offer", params={"sku": sku}, headers=EBAY)
    variant_id = backends[0].variants_by_sku[sku][1].erp_id
    [offer] = [o for o in answer.json()["offers"] if o["offerId"] == f"{OFFER_ID_BASE + variant_id}"]
    return offer["availableQuantity"], Decimal(offer["pricingSummary"]["price"]["value"])


def status(admin: GraphQLClient, errors_only: bool = False) -> dict:
    answer = admin(STATUS, {"errorsOnly": errors_only})
    assert "errors" not in answer, answer
    return answer["data"]["marketplaceSyncStatus"]


def erp_orders(backends, reference: str) -> list[dict]:
    return odoo(backends[1], "sale.order", "search_read", domain=[["client_order_ref", "=", reference]],
                fields=["state", "origin", "amount_total", "partner_id"])  # type: ignore[return-value]


async def test_erp_stock_reaches_the_offer_less_the_buffer_and_the_holds(backends, built, clock, admin):
    product = listed(backends, 1, 0)[0]
    sku = product.variants[0].sku
    # given the ERP counts 20 free units, nothing held
    set_available(backends, product.variants[0].erp_id, 20)
    # when the change is polled and pushed
    report = await push_pass(built, clock)
    # then the offer holds the ERP's stock less the buffer, and the push says when and how late
    assert ebay_offer(backends, sku)[0] == 20 - BUFFER
    assert report.accepted >= 1 and not report.reconciled
    state = next(o for o in status(admin)["offers"] if o["sku"] == sku)
    assert state["quantity"] == 18 and state["offerId"] == f"{OFFER_ID_BASE + product.variants[0].erp_id}"
    assert state["lagSeconds"] == pytest.approx(0.5) and state["error"] is None
    # when 5 units are held for carts and the ERP counts 12
    holds, built.services.holds = built.services.holds, Holds({sku: 5})
    try:
        set_available(backends, product.variants[0].erp_id, 12)
        await push_pass(built, clock)
    finally:
        built.services.holds = holds
    # then the marketplace may sell 12 − 5 − 2
    assert ebay_offer(backends, sku)[0] == 5
    # and stock below the buffer is 0, never negative
    set_available(backends, product.variants[0].erp_id, 1)
    await push_pass(built, clock)
    assert ebay_offer(backends, sku)[0] == 0


async def test_an_erp_price_change_reaches_the_offer(backends, built, clock):
    product = listed(backends, 1, 1)[0]
    set_price(backends, product, "123.45")
    await push_pass(built, clock)
    assert ebay_offer(backends, product.variants[0].sku)[1] == Decimal("123.45")


async def test_a_refused_sku_is_reported_while_the_others_land(backends, built, clock, admin):
    refused, fine = listed(backends, 2, 2)
    # given a price the marketplace refuses (0) for one SKU, and new stock for another, in one pass
    set_price(backends, refused, "0")
    set_available(backends, fine.variants[0].erp_id, 9)
    report = await push_pass(built, clock)
    # then the one lands, the other is reported with the marketplace's error id, to be tried again
    assert report.refused == 1 and ebay_offer(backends, fine.variants[0].sku)[0] == 9 - BUFFER
    failing = status(admin, errors_only=True)
    assert [o["sku"] for o in failing["offers"]] == [refused.variants[0].sku] and failing["pushFailures"] == 1
    assert failing["offers"][0]["errorId"] == "25709" and "Invalid value" in failing["offers"][0]["error"]
    assert failing["offers"][0]["attempts"] == 1 and failing["offers"][0]["retryAt"] is not None
    # when the ERP's price is mended and the retry is due
    set_price(backends, refused, "10.00")
    await push_pass(built, clock, 31)
    # then the offer holds it and no failure is left
    assert ebay_offer(backends, refused.variants[0].sku)[1] == Decimal("10.00")
    assert status(admin, errors_only=True)["offers"] == [] and status(admin)["pushFailures"] == 0


async def test_the_reconciliation_repairs_an_offer_changed_behind_the_gateways_back(backends, built, clock, admin,
                                                                                    monkeypatch):
    product = listed(backends, 1, 4)[0]
    sku = product.variants[0].sku
    set_available(backends, product.variants[0].erp_id, 30)
    await push_pass(built, clock)
    assert ebay_offer(backends, sku)[0] == 30 - BUFFER
    # given someone sets the quantity in the marketplace's own tools (no ERP change, no event)
    httpx.put(f"{backends[1]['ebay'].url}/sell/inventory/v1/inventory_item/{sku}", headers=EBAY,
              json={"availability": {"shipToLocationAvailability": {"quantity": 999}}}).raise_for_status()
    # when a pass runs before the reconciliation is due, nothing changes
    await push_pass(built, clock)
    assert ebay_offer(backends, sku)[0] == 999
    # when the reconciliation is due, it runs in slices of SKUs, a slice a pass, beside the events
    monkeypatch.setattr(marketplace_push, "RECONCILE_SLICE", 10)
    before = status(admin)["lastReconciliationAt"]
    reports = [await push_pass(built, clock, RECONCILE_SECONDS)]
    while not reports[-1].reconciled and len(reports) < 50:
        assert status(admin)["lastReconciliationAt"] == before  # not over yet
        reports.append(await push_pass(built, clock))
    # then, once over, the offer is set back from the ERP
    assert len(reports) > 1 and reports[-1].reconciled
    assert ebay_offer(backends, sku)[0] == 30 - BUFFER
    assert status(admin)["lastReconciliationAt"] != before


def buy(backends, sku: str, quantity: int) -> dict:
    response = httpx.post(f"{backends[1]['ebay'].url}/__orders", json={"sku": sku, "quantity": quantity,
                                                                       "buyer": "jo_buyer"})
    response.raise_for_status()
    return response.json()


async def test_an_order_is_imported_once_and_lowers_the_stock_every_channel_sees(backends, built, clock, admin):
    product = listed(backends, 1, 5)[0]
    variant = product.variants[0]
    set_available(backends, variant.erp_id, 40)
    await push_pass(built, clock)
    before = admin(STOCK, {"sku": product.sku}, {"X-Channel": "WEB"})["data"]["product"]["variants"][0]
    assert before["quantityAvailable"] == 40
    # given a buyer pays for 3 units on the marketplace
    order = buy(backends, variant.sku, 3)
    # when the import runs, and runs again (the next read overlaps the last)
    clock.advance(1)
    first = await importer(built).run_pass()
    clock.advance(5)
    again = await importer(built).run_pass()
    # then the ERP has one confirmed order for it, at the marketplace's price, and the import counts one
    assert (first.imported, again.imported) == (1, 0)
    [made] = erp_orders(backends, order["orderId"])
    assert made["state"] == "sale" and made["origin"] == "commerce-gateway:MARKETPLACE"
    assert Decimal(str(made["amount_total"])) == Decimal(order["pricingSummary"]["total"]["value"])
    assert made["partner_id"][1] == "jo_buyer"
    assert status(admin)["ordersImported"] >= 1
    # and every channel selling from the order's warehouse sees 3 fewer, the marketplace too once pushed
    for channel in ("WEB", "APP", "CALL_CENTER"):
        variants = admin(STOCK, {"sku": product.sku}, {"X-Channel": channel})["data"]["product"]["variants"]
        assert variants[0]["quantityAvailable"] == 37, channel
    await push_pass(built, clock)
    assert ebay_offer(backends, variant.sku)[0] == 37 - BUFFER
    # when the seller cancels it on the marketplace, the ERP order stands and the record says so
    httpx.post(f"{backends[1]['ebay'].url}/__orders/{order['orderId']}/cancel").raise_for_status()
    clock.advance(1)
    assert (await importer(built).run_pass()).imported == 0
    record = await built.services.marketplace_sync.order(order["orderId"])
    assert record.cancelled_after_import and len(erp_orders(backends, order["orderId"])) == 1


class CrashAfterCreate:
    """The store, failing the write that records an import as done, once: as a process dying between
    the ERP's create and that record."""

    def __init__(self, store) -> None:
        self.store = store
        self.crashed = False

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    async def put_order(self, record: OrderImport, newly_imported: bool = False) -> None:
        if record.state is ImportState.IMPORTED and not self.crashed:
            self.crashed = True
            raise RuntimeError("the process died")
        await self.store.put_order(record, newly_imported)


async def test_an_import_cut_short_after_the_erp_create_makes_no_second_order(backends, built, clock):
    product = listed(backends, 1, 6)[0]
    set_available(backends, product.variants[0].erp_id, 10)
    order = buy(backends, product.variants[0].sku, 1)
    clock.advance(1)
    store = CrashAfterCreate(built.services.marketplace_sync)
    crashing = MarketplaceImport(built.services, store, sync_rules(built.settings), 1.0)  # type: ignore[arg-type]
    # given the import dies after the ERP made the order, before it was recorded
    with pytest.raises(RuntimeError):
        await crashing.run_pass()
    assert len(erp_orders(backends, order["orderId"])) == 1
    assert (await built.services.marketplace_sync.order(order["orderId"])).state is ImportState.PENDING
    # when the retry is due (the lease long gone), with the order read again and from the intent
    clock.advance(180)
    report = await importer(built).run_pass()
    # then it finds the ERP's order by its reference and makes no second
    assert report.imported == 1
    assert len(erp_orders(backends, order["orderId"])) == 1
    record = await built.services.marketplace_sync.order(order["orderId"])
    assert record.state is ImportState.IMPORTED and record.erp_order


async def test_a_first_import_reaches_back_as_far_as_configured(backends, built, clock, mongo_url):
    product = listed(backends, 1, 7)[0]
    set_available(backends, product.variants[0].erp_id, 10)
    # given an order paid ten minutes before the import is first turned on
    order = buy(backends, product.variants[0].sku, 1)
    clock.advance(600)
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        for lookback_hours, taken in ((0, False), (1, True)):
            store = MongoMarketplaceSync(client, f"test_first_import_{uuid.uuid4().hex[:8]}")
            await store.prepare()
            rules = dataclasses.replace(sync_rules(built.settings), first_import_lookback=timedelta(hours=lookback_hours))
            # when the first pass of a new deployment runs
            await MarketplaceImport(built.services, store, rules, 1.0).run_pass()
            # then it takes the order only when told to reach back past it
            record = await store.order(order["orderId"])
            assert (record is not None and record.state is ImportState.IMPORTED) is taken, lookback_hours
    finally:
        await client.close()
    # and the ERP holds it once
    assert len(erp_orders(backends, order["orderId"])) == 1
