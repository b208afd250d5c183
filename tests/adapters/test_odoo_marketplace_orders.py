"""Marketplace orders in the ERP, over both transports, against an Odoo simulator of their own (orders
reserve its stock): made for a configured contact, confirmed so the delivery reserves the stock, and a
quotation whose confirmation was cut short confirmed on the retry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.records import OrderDraft, OrderLine
from simulators.catalog import LOCATIONS, Catalog
from simulators.odoo_sales import SEEDED_PARTNERS_FROM

TRANSPORTS = ["json2", "jsonrpc"]
DC1 = LOCATIONS[0]


@pytest.fixture(params=TRANSPORTS)
def shop(request, make_backends, start_odoo):
    catalog = Catalog(20)
    erp = make_backends(CGW_BACKENDS__ODOO__BASE_URL=start_odoo(catalog),
                        CGW_BACKENDS__ODOO__TRANSPORT=request.param).erp
    return catalog, erp


def draft(catalog: Catalog, reference: str, quantity: int, partner: int | None) -> OrderDraft:
    variant = catalog.products[3].variants[0]
    return OrderDraft(reference=reference, channel="MARKETPLACE", customer_id=None if partner else "ebay:jo",
                      email="", name="jo", address=None, warehouse_code=None,
                      lines=(OrderLine(variant.erp_id, variant.sku, quantity, Decimal("12.50")),),
                      note="ebay order", payment_reference="ebay 12-1", partner_erp_id=partner)


async def test_a_confirmed_order_reserves_its_stock_for_the_configured_contact(shop):
    catalog, erp = shop
    variant = catalog.products[3].variants[0]
    on_hand, reserved = catalog.stock(variant.erp_id, DC1)
    partner = SEEDED_PARTNERS_FROM + 1
    # when an order for 3 units is made for a configured contact
    order = await erp.create_order(draft(catalog, "12-00001-00001", 3, partner))
    # then it is confirmed, found by its reference, and DC1's free stock is 3 lower
    assert order.state == "sale" and order.total == Decimal("37.50")
    assert (await erp.order_by_reference("12-00001-00001")).erp_id == order.erp_id
    assert catalog.stock(variant.erp_id, DC1) == (on_hand, reserved + min(3, on_hand - reserved))
    [quant] = await erp.stock_quants([variant.erp_id], [DC1.stock_location_id])
    assert quant.reserved == reserved + min(3, on_hand - reserved)


async def test_a_quotation_left_unconfirmed_is_confirmed_on_the_retry(shop):
    catalog, erp = shop
    # given a quotation under the reference (its confirmation cut short)
    order_id = await erp._create("sale.order", {"partner_id": SEEDED_PARTNERS_FROM + 2,
                                                "client_order_ref": "12-00002-00001", "order_line": []})
    found = await erp.order_by_reference("12-00002-00001")
    assert (found.erp_id, found.state) == (order_id, "draft")
    # when the retry confirms it, then it is a sales order, and confirming again changes nothing
    confirmed = await erp.confirm_order(found)
    assert confirmed.state == "sale"
    assert (await erp.confirm_order(confirmed)).state == "sale"
