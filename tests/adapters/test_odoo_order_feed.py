"""The ERP's order feed that recommendations count: every seeded order once, in write order, with
its channel, its customer (the contact's `ref`) and the product templates of its lines; an order
made through the ERP's API after the mark comes next, and nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.records import ChangeMark, OrderDraft, OrderLine
from simulators.catalog import Catalog
from simulators.order_history import order_history
from tests.clock import MovingClock

LATER = datetime(2030, 1, 1, tzinfo=UTC)  # after the whole seeded history


@pytest.fixture(params=[("17.0", "jsonrpc"), ("19.0", "json2")], ids=["17.0-jsonrpc", "19.0-json2"])
def erp(request, make_backends, start_odoo):
    version, transport = request.param
    clock = MovingClock(LATER)
    catalog = Catalog(40, clock=clock)
    url = start_odoo(catalog, version=version)
    return catalog, clock, make_backends(CGW_BACKENDS__ODOO__BASE_URL=url,
                                         CGW_BACKENDS__ODOO__TRANSPORT=transport).erp


async def read_all(erp, mark, until, limit):
    events = []
    for _ in range(100):
        page = await erp.order_changes(mark, until, limit)
        if not page:
            return events, mark
        events += page
        mark = ChangeMark(page[-1].at, page[-1].order_id)
    raise AssertionError("the feed never ends")


async def test_every_seeded_order_comes_once_with_its_products_channel_and_customer(erp):
    # given the seeded history of a 40-product catalog
    catalog, clock, backend = erp
    history = order_history(catalog)
    # when the whole feed is read seven orders at a time
    events, _ = await read_all(backend, None, clock(), 7)
    # then every order came once, in write order, as the history made it
    assert [e.order_id for e in events] == list(range(1, len(history.orders) + 1))
    assert [(e.at, e.order_id) for e in events] == sorted((e.at, e.order_id) for e in events)
    for event, seeded in zip(events, history.orders, strict=True):
        assert event.state == "sale" and event.channel == seeded.channel
        assert event.customer_id == history.customers[seeded.customer].ref
        assert event.product_ids == {catalog.variants_by_erp_id[line.variant_erp_id][0].erp_id
                                     for line in seeded.lines}


async def test_an_order_made_after_the_mark_comes_next_and_alone(erp):
    # given the feed read to its end
    catalog, clock, backend = erp
    _, mark = await read_all(backend, None, clock(), 50)
    # when an order of two variants of one product and one of another is made through the ERP's API
    clock.advance(60)
    first, second = catalog.products[3], catalog.products[8]
    lines = tuple(OrderLine(v.erp_id, v.sku, 1, Decimal("9.90")) for v in (*first.variants[:2], second.variants[0]))
    order = await backend.create_order(OrderDraft(
        reference=f"cart-{clock().timestamp()}", channel="APP", customer_id="cust-0001", email="a@example.com",
        name="Ada", address=None, warehouse_code=None, lines=lines, note=None, payment_reference="pay-1"))
    clock.advance(5)
    # then the feed brings it, confirmed, at product level, once
    events, _ = await read_all(backend, mark, clock(), 50)
    assert [(e.order_id, e.state, e.channel, e.customer_id, e.product_ids) for e in events] == [
        (order.erp_id, "sale", "APP", "cust-0001", frozenset({first.erp_id, second.erp_id}))]
    assert (await backend.order_changes(mark, clock() - timedelta(seconds=10), 50)) == []
