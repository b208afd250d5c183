"""The Odoo change feeds on every version the adapter supports: Odoo stores `write_date` to the
microsecond and reads it to the second; 19 compares it in domains to the second, 17 and 18 to the
microsecond. A burst of writes in one second, larger than a page, must page through alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from domain.records import ChangeMark
from resolvers.backends import Backends
from simulators.catalog import LOCATIONS, Catalog, stock_at
from tests.clock import MovingClock

NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)  # after every seeded write
ODOO_KEY = "odoo-demo-key"
VERSIONS = [("17.0", "jsonrpc"), ("18.0", "jsonrpc"), ("19.0", "json2"), ("19.0", "jsonrpc")]


@dataclass
class Odoo:
    url: str
    version: str
    catalog: Catalog
    clock: MovingClock
    backends: Backends

    def execute(self, model: str, method: str, args: list, kwargs: dict | None = None) -> object:
        answer = httpx.post(f"{self.url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": ["demo", 2, ODOO_KEY, model, method, args, kwargs or {}]}}).json()
        assert "error" not in answer, answer
        return answer["result"]


@pytest.fixture(params=VERSIONS, ids=[f"{v}-{t}" for v, t in VERSIONS])
def odoo(request, make_backends, start_odoo) -> Odoo:
    version, transport = request.param
    clock = MovingClock(NOON)
    catalog = Catalog(40, clock=clock)
    url = start_odoo(catalog, version=version)
    return Odoo(url, version, catalog, clock, make_backends(CGW_BACKENDS__ODOO__BASE_URL=url,
                                                   CGW_BACKENDS__ODOO__TRANSPORT=transport))


async def test_a_burst_in_one_second_larger_than_a_page_pages_without_repeat_or_gap(odoo):
    # given twelve templates written in one second, the later writes to the smaller ids
    second = odoo.clock()
    burst = sorted(odoo.catalog.products[:12], key=lambda p: -p.erp_id)
    for product in burst:
        odoo.clock.advance(0.05)
        odoo.catalog.change("odoo", product, list_price=product.list_price + 1)
    odoo.clock.advance(5)
    # when the feed is read five at a time from just before that second
    seen, mark = [], ChangeMark(second - timedelta(microseconds=1), 0)
    for _ in range(10):
        page = await odoo.backends.erp.product_changes(mark, odoo.clock(), 5)
        if not page:
            break
        seen += page
        mark = page[-1].mark
    # then each template came once, in the order of the marks, stamped with the second as Odoo reads it
    assert [c.product_erp_id for c in seen] == sorted(p.erp_id for p in burst)
    assert {c.at for c in seen} == {second}


async def test_a_burst_of_pricelist_rules_in_one_second_pages_without_repeat_or_gap(odoo):
    # given twelve of the store pricelist's items rewritten in one second, the later writes to the smaller ids
    store = 2
    items = odoo.execute("product.pricelist.item", "search", [[["pricelist_id", "=", store],
                                                              ["product_id", "!=", False]]], {"limit": 12})
    assert len(items) == 12
    second = odoo.clock()
    for item in sorted(items, reverse=True):
        odoo.clock.advance(0.05)
        odoo.execute("product.pricelist.item", "write", [[item], {"fixed_price": 9.99}])
    odoo.clock.advance(5)
    # when the pricelist's feed is read five at a time from just before that second
    seen, mark = [], ChangeMark(second - timedelta(microseconds=1), 0)
    for _ in range(10):
        page = await odoo.backends.erp.price_list_changes(store, mark, odoo.clock(), 5)
        if not page:
            break
        seen += page
        mark = page[-1].mark
    # then each item came once, in the order of the marks, stamped with the second as Odoo reads it
    assert [c.key for c in seen] == sorted(items)
    assert {c.at for c in seen} == {second}


async def test_a_mark_in_any_zone_is_asked_in_odoos_own_form(odoo):
    product = odoo.catalog.products[0]
    odoo.clock.advance(0.5)
    odoo.catalog.change("odoo", product, list_price=product.list_price + 1)
    odoo.clock.advance(5)
    berlin = timezone(timedelta(hours=2))
    # Odoo fails on a datetime with a zone (`Z`); the feed writes UTC without one, whatever the mark's zone
    mark = ChangeMark((NOON - timedelta(seconds=1)).astimezone(berlin), 10**9)
    [change] = await odoo.backends.erp.product_changes(mark, odoo.clock(), 5)
    assert (change.product_erp_id, change.at) == (product.erp_id, NOON)
    refused = httpx.post(f"{odoo.url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw", "args": [
            "demo", 2, ODOO_KEY, "product.template", "search_read", [[["write_date", ">=", "2026-06-01T12:00:00Z"]]],
            {"fields": ["id"]}]}}).json()
    assert refused["error"]["data"]["name"] == "builtins.ValueError"


async def test_the_simulator_compares_datetimes_as_its_version_does(odoo):
    product = odoo.catalog.products[0]
    odoo.clock.advance(0.5)  # written at 12:00:00.5, read back as 12:00:00
    odoo.catalog.change("odoo", product, list_price=product.list_price + 1)

    def found(op: str) -> bool:
        return bool(odoo.execute("product.template", "search", [[["write_date", op, "2026-06-01 12:00:00"]]]))

    [row] = odoo.execute("product.template", "read", [[product.erp_id], ["write_date"]])
    assert row["write_date"] == "2026-06-01 12:00:00"
    # 19 compares to the second it reads back: `=` finds it and `>` does not; 17 and 18 the other way round
    whole_seconds = odoo.version == "19.0"
    assert found(">=")
    assert found("=") is whole_seconds and found(">") is not whole_seconds


async def test_stock_counted_down_to_zero_is_a_change_though_odoo_deletes_the_quant(odoo):
    location = LOCATIONS[0]
    product, variant = next((p, v) for p in odoo.catalog.products for v in p.variants
                            if stock_at(v.erp_id, location)[0] > 0)
    mark = ChangeMark(odoo.clock() - timedelta(microseconds=1), 0)
    odoo.clock.advance(1)
    # when the variant is counted at 0 in Odoo's Physical Inventory
    quant = odoo.execute("stock.quant", "create", [{"product_id": variant.erp_id, "location_id":
                                                    location.stock_location_id, "inventory_quantity": 0}],
                         {"context": {"inventory_mode": True}})  # [vals] answers an id
    odoo.execute("stock.quant", "action_apply_inventory", [[quant]])
    odoo.clock.advance(5)
    # then the quant is gone, as Odoo deletes empty quants
    assert odoo.execute("stock.quant", "search", [[["product_id", "=", variant.erp_id],
                                                   ["location_id", "=", location.stock_location_id]]]) == []
    # and the stock feed tells of the product all the same
    changes = await odoo.backends.erp.stock_changes([location.stock_location_id], mark, odoo.clock(), 10)
    assert product.erp_id in {c.product_erp_id for c in changes}
    # and the next read from where that one ended has nothing more
    assert await odoo.backends.erp.stock_changes([location.stock_location_id], changes[-1].mark, odoo.clock(), 10) == []
