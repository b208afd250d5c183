"""Odoo adapter over both transports against the ERP simulator: the same answers either way."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from domain.errors import BackendError, BackendUnavailable
from domain.records import Address, ChangeMark, OrderDraft, OrderLine, ProductQuery
from gateway.settings import load_settings
from gateway.wiring import wire_backends
from simulators.catalog import LOCATIONS, Catalog, stock_at
from tests.clock import MovingClock
from tests.conftest import gateway_environ

TRANSPORTS = ["json2", "jsonrpc"]
ODOO_KEY = "odoo-demo-key"
NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)  # after every seeded write


def json2(url: str, model: str, method: str, **body: object) -> object:
    """A call to the simulated Odoo as its own users (or Odoo's web client) make them."""
    answer = httpx.post(f"{url}/json/2/{model}/{method}", json=body, headers={"Authorization": f"bearer {ODOO_KEY}"})
    answer.raise_for_status()
    return answer.json()


def execute_kw(url: str, model: str, method: str, args: list, kwargs: dict | None = None) -> dict:
    """The raw JSON-RPC answer to one `object.execute_kw`."""
    return httpx.post(f"{url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["demo", 2, ODOO_KEY, model, method, args, kwargs or {}]}}).json()


def order_draft(catalog: Catalog, *, customer_id: str | None, address: Address | None = None) -> OrderDraft:
    variant = catalog.products[7].variants[0]
    return OrderDraft(reference=f"cart-{uuid.uuid4().hex}", channel="WEB", customer_id=customer_id,
                      email=f"{uuid.uuid4().hex[:8]}@example.com", name="Ana Example", address=address,
                      warehouse_code=None, lines=(OrderLine(variant.erp_id, variant.sku, 1, Decimal("19.99")),),
                      note=None, payment_reference="psp-1")


@pytest.fixture(params=TRANSPORTS)
def erp(request, make_backends):
    return make_backends(CGW_BACKENDS__ODOO__TRANSPORT=request.param).erp


async def test_products_and_variants_by_sku(erp, catalog):
    seed = catalog.products[4]
    [found] = await erp.products_by_sku([seed.sku, "NOPE"])
    assert (found.sku, found.title, found.list_price, found.category, found.brand) == (
        seed.sku, seed.erp_title, seed.list_price, seed.category, seed.brand)
    variants = await erp.variants_of([found.erp_id])
    assert [v.sku for v in variants] == [v.sku for v in seed.variants]
    assert [v.list_price for v in variants] == [v.list_price for v in seed.variants]
    options = await erp.variant_options(list({i for v in variants for i in v.option_value_ids}))
    assert {o.value for o in options} == {v.option_value for v in seed.variants}


async def test_lookups_by_id_gtin_and_variant_sku(erp, catalog):
    seed = catalog.products[8]
    [by_id] = await erp.products_by_id([seed.erp_id])
    [by_gtin] = await erp.variants_by_gtin([seed.variants[-1].gtin])
    [by_sku] = await erp.variants_by_sku([seed.variants[0].sku])
    assert by_id.sku == seed.sku
    assert by_gtin.sku == seed.variants[-1].sku and by_gtin.product_erp_id == seed.erp_id
    assert by_sku.erp_id == seed.variants[0].erp_id


async def test_search_filters_sorts_and_pages(erp, catalog):
    seed = catalog.products[0]
    query = ProductQuery(offset=0, limit=5, category=seed.category.lower(), sort_key="PRICE", reverse=True)
    page = await erp.search_products(query)
    expected = sorted((p for p in catalog.products if p.category == seed.category),
                      key=lambda p: (p.list_price, p.erp_id), reverse=True)
    assert [p.sku for p in page.products] == [p.sku for p in expected[:5]]
    assert page.has_more is (len(expected) > 5)
    assert await erp.count_products(query) == len(expected)


async def test_stock_quants_per_location(erp, catalog):
    seed = catalog.products[2]
    variant = seed.variants[0]
    quants = await erp.stock_quants([variant.erp_id], [loc.stock_location_id for loc in LOCATIONS])
    got = {q.location_erp_id: (int(q.quantity), int(q.reserved)) for q in quants}
    expected = {loc.stock_location_id: stock_at(variant.erp_id, loc) for loc in LOCATIONS
                if stock_at(variant.erp_id, loc)[0] > 0}
    assert got == expected


async def test_a_confirmed_order_reserves_its_units_at_its_warehouse(erp, catalog):
    # given a variant the first distribution centre (the default warehouse) has plenty of, unreserved
    variant = next(v for p in catalog.products[60:] for v in p.variants
                   if (lambda s: s[0] - s[1] >= 10)(catalog.stock(v.erp_id, LOCATIONS[0])))
    dc1 = LOCATIONS[0].stock_location_id

    async def at_dc1() -> tuple[int, int]:
        quants = await erp.stock_quants([variant.erp_id], [dc1])
        return next((int(q.quantity), int(q.reserved)) for q in quants if q.location_erp_id == dc1)

    on_hand, reserved = await at_dc1()
    # when an order for 3 of it is created (and confirmed, as the adapter does)
    draft = dataclasses.replace(order_draft(catalog, customer_id=None),
                                lines=(OrderLine(variant.erp_id, variant.sku, 3, Decimal("9.99")),))
    await erp.create_order(draft)
    # then the quant reserves them at once, as Odoo's delivery type reserving at confirmation does:
    # its available quantity (on hand less reserved) is 3 lower, its quantity on hand unchanged
    assert await at_dc1() == (on_hand, reserved + 3)


async def test_channel_pricelist_entries(erp, catalog):
    seed = next(p for p in catalog.products if p.store_price is not None)
    entries = await erp.price_list_entries(2, [v.erp_id for v in seed.variants])
    assert {e.variant_erp_id: e.price for e in entries}[seed.variants[0].erp_id] == seed.store_price


async def test_warehouses_with_addresses_and_coordinates(erp):
    warehouses = await erp.warehouses()
    assert [w.code for w in warehouses] == [loc.code for loc in LOCATIONS]
    berlin = next(w for w in warehouses if w.code == "BER")
    assert berlin.address.city == "Berlin" and berlin.address.country_code == "DE"
    assert berlin.location.latitude == pytest.approx(52.5251)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_wrong_api_key_is_reported_as_unavailable(make_backends, transport):
    erp = make_backends(CGW_BACKENDS__ODOO__TRANSPORT=transport, CGW_BACKENDS__ODOO__API_KEY="wrong").erp
    with pytest.raises(BackendUnavailable, match=r"wrong, revoked or expired .* backends\.odoo\.api_key"):
        await erp.ping()


async def test_prices_never_pass_through_float(make_backends, catalog):
    erp = make_backends().erp
    [found] = await erp.products_by_sku([catalog.products[0].sku])
    assert isinstance(found.list_price, Decimal)
    assert found.list_price == catalog.products[0].list_price


async def test_an_order_is_created_once_per_reference_for_the_customers_contact(erp, catalog):
    variant = catalog.products[7].variants[0]
    customer, reference = f"c-{uuid.uuid4().hex[:6]}", f"cart-{uuid.uuid4().hex}"
    draft = OrderDraft(reference=reference, channel="APP", customer_id=customer, email="ana@example.com",
                       name="Ana Example", address=Address("Main St 1", "Berlin", "10115", "DE"),
                       warehouse_code=None, lines=(OrderLine(variant.erp_id, variant.sku, 2, Decimal("19.99")),),
                       note=None, payment_reference="psp-123")
    assert await erp.order_by_reference(reference) is None
    # when
    order = await erp.create_order(draft)
    again = await erp.create_order(dataclasses.replace(draft, reference=reference + "-2"))
    # then it is there under its reference, with its channel, lines and total
    found = await erp.order_by_reference(reference)
    assert found is not None and found.number == order.number and found.channel == "APP"
    assert [(line.sku, line.quantity, line.unit_price) for line in found.lines] == [(variant.sku, 2, Decimal("19.99"))]
    assert found.total == Decimal("39.98") and found.state == "sale"
    # and the customer's orders are listed newest first, on one contact
    mine = await erp.orders_of_customer(customer, 10)
    assert [o.number for o in mine] == [again.number, order.number]


async def test_change_feeds_page_oldest_first_over_both_transports(erp, catalog):
    until = datetime.now(UTC)
    first = await erp.product_changes(None, until, 5)
    rest = await erp.product_changes(first[-1].mark, until, 5)
    seeded = sorted(catalog.products, key=lambda p: (p.updated_at.replace(microsecond=0), p.erp_id))
    assert [c.sku for c in first + rest] == [p.sku for p in seeded[:10]]
    assert all(not c.removed and c.product_erp_id for c in first)
    # stock quants say which product they belong to
    [quant] = await erp.stock_changes([LOCATIONS[0].stock_location_id], None, until, 1)
    assert quant.product_erp_id in catalog.by_erp_id


async def test_json_rpc_gives_created_values_as_the_first_positional_argument(make_backends, simulators, catalog):
    # given Odoo's call_kw, which reads `create`'s values from args[0]: named, the call fails after the
    # record was made (and rolled back), its order number spent
    url = simulators["odoo"].url
    failed = execute_kw(url, "sale.order", "create", [], {"vals_list": [{"partner_id": LOCATIONS[0].partner_id}]})
    assert failed["error"]["data"]["name"] == "builtins.IndexError"
    erp = make_backends(CGW_BACKENDS__ODOO__TRANSPORT="jsonrpc").erp
    # when the gateway places two orders over JSON-RPC
    first = await erp.create_order(order_draft(catalog, customer_id=f"c-{uuid.uuid4().hex[:6]}"))
    second = await erp.create_order(order_draft(catalog, customer_id=None))
    # then both are made, one number after the other: no call of theirs failed
    assert int(second.number[1:]) == int(first.number[1:]) + 1
    assert (first.state, second.state) == ("sale", "sale")


async def test_on_a_stock_odoo_products_are_read_with_the_default_settings(simulators, mongo_url, start_odoo):
    # given an Odoo without the OCA brand add-on, and settings that name no brand field
    url = start_odoo(Catalog(20), addons=frozenset())
    env = gateway_environ(simulators, mongo_url, CGW_BACKENDS__ODOO__BASE_URL=url)
    del env["CGW_BACKENDS__ODOO__BRAND_FIELD"]
    wired = wire_backends(load_settings(environ=env))
    try:
        # when products are read, then they come, without a brand
        [found] = await wired.backends.erp.products_by_sku(["CG-000003"])
        assert (found.sku, found.brand) == ("CG-000003", None)
        await wired.backends.erp.ping()
    finally:
        await wired.aclose()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_brand_field_odoo_lacks_is_reported_as_the_setting_to_change(make_backends, start_odoo, transport):
    url = start_odoo(Catalog(20), addons=frozenset())
    erp = make_backends(CGW_BACKENDS__ODOO__BASE_URL=url, CGW_BACKENDS__ODOO__TRANSPORT=transport,
                        CGW_BACKENDS__ODOO__BRAND_FIELD="product_brand_id").erp
    with pytest.raises(BackendError, match=r"backends\.odoo\.brand_field is 'product_brand_id'.*set it empty"):
        await erp.products_by_sku(["CG-000003"])
    with pytest.raises(BackendError, match=r"backends\.odoo\.brand_field"):
        await erp.ping()  # and so does readiness


async def test_order_history_leaves_out_section_and_note_lines(erp, simulators, catalog):
    # given an order made in Odoo's order form, with a section and a note around its product line
    url, variant = simulators["odoo"].url, catalog.products[3].variants[0]
    customer = f"c-{uuid.uuid4().hex[:6]}"
    [partner] = json2(url, "res.partner", "create", vals_list=[{"name": "Bo Example", "ref": customer}])
    json2(url, "sale.order", "create", vals_list=[{"partner_id": partner, "order_line": [
        [0, 0, {"display_type": "line_section", "name": "Summer collection"}],
        [0, 0, {"product_id": variant.erp_id, "product_uom_qty": 2, "price_unit": 10.0}],
        [0, 0, {"display_type": "line_note", "name": "Gift-wrapped"}]]}])
    # when the customer's orders are read, then the order holds its one product line
    [order] = await erp.orders_of_customer(customer, 5)
    assert [(line.variant_erp_id, line.quantity, line.unit_price) for line in order.lines] == [
        (variant.erp_id, 2, Decimal("10"))]


async def test_a_new_contact_gets_its_country_as_a_country_record(erp, simulators, catalog):
    url = simulators["odoo"].url
    # when a guest orders to Vienna, and a customer has an order sent to Paris
    guest = await erp.create_order(order_draft(catalog, customer_id=None,
                                               address=Address("Ring 1", "Wien", "1010", "AT")))
    customer = f"c-{uuid.uuid4().hex[:6]}"
    await erp.create_order(order_draft(catalog, customer_id=customer, address=Address("Rue 2", "Berlin", "10115", "DE")))
    sent = await erp.create_order(order_draft(catalog, customer_id=customer,
                                              address=Address("Rue 3", "Paris", "75001", "FR")))
    # then Odoo holds each contact's country (`country_code` is read-only: Odoo keeps nothing given for it)
    orders = json2(url, "sale.order", "read", ids=[guest.erp_id, sent.erp_id], fields=["partner_shipping_id"])
    partners = json2(url, "res.partner", "read", ids=[o["partner_shipping_id"][0] for o in orders],
                     fields=["city", "country_id", "country_code"])
    assert [(p["city"], p["country_code"], p["country_id"][1]) for p in partners] == [
        ("Wien", "AT", "Austria"), ("Paris", "FR", "France")]


async def test_order_history_keeps_when_orders_were_made_whenever_odoo_confirms_them(make_backends, start_odoo):
    clock = MovingClock(NOON)
    catalog = Catalog(20, clock=clock)
    url = start_odoo(catalog)
    erp = make_backends(CGW_BACKENDS__ODOO__BASE_URL=url).erp
    # given a quotation made in Odoo for a customer, and a minute later an order placed through the gateway
    customer = f"c-{uuid.uuid4().hex[:6]}"
    [partner] = json2(url, "res.partner", "create", vals_list=[{"name": "Ana Example", "ref": customer}])
    variant = catalog.products[1].variants[0]
    [quotation] = json2(url, "sale.order", "create", vals_list=[{"partner_id": partner, "order_line": [
        [0, 0, {"product_id": variant.erp_id, "product_uom_qty": 1}]]}])
    clock.advance(60)
    placed = await erp.create_order(order_draft(catalog, customer_id=customer))
    # when the quotation is confirmed in Odoo an hour later (Odoo sets its date_order to then)
    clock.advance(3600)
    json2(url, "sale.order", "action_confirm", ids=[quotation])
    # then the customer's orders are still newest first by when they were made
    history = await erp.orders_of_customer(customer, 10)
    assert [(o.erp_id, o.created_at) for o in history] == [(placed.erp_id, NOON + timedelta(seconds=60)),
                                                           (quotation, NOON)]
    assert [o.state for o in history] == ["sale", "sale"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_expired_api_key_is_reported_as_the_setting_to_renew(make_backends, start_odoo, transport):
    # given an Odoo 19 API key that expires tomorrow, with which the gateway works today
    clock = MovingClock(NOON)
    url = start_odoo(Catalog(20, clock=clock), api_key_expires_at=NOON + timedelta(days=1))
    erp = make_backends(CGW_BACKENDS__ODOO__BASE_URL=url, CGW_BACKENDS__ODOO__TRANSPORT=transport).erp
    await erp.ping()
    # when it has expired, then each call says what to do (JSON-RPC: once logged in, then at the next login)
    clock.advance(2 * 86_400)
    for _ in range(2):
        with pytest.raises(BackendUnavailable, match=r"expired .*New API Key and set backends\.odoo\.api_key"):
            await erp.ping()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_unknown_database_is_reported_as_the_setting_to_change(make_backends, transport):
    erp = make_backends(CGW_BACKENDS__ODOO__TRANSPORT=transport, CGW_BACKENDS__ODOO__DATABASE="shop2").erp
    with pytest.raises(BackendUnavailable, match=r"has no database 'shop2': set backends\.odoo\.database"):
        await erp.ping()


async def test_a_template_without_a_code_is_a_product_named_by_its_first_variant(erp, catalog):
    # given a template like the Odoo demo's "Customizable Desk": several variants, no code of its own
    desk = next(p for p in catalog.products if p.codeless)
    first, other = desk.variants[0], desk.variants[2]
    # then it is listed, under its first variant's code
    page = await erp.search_products(ProductQuery(offset=0, limit=100))
    assert (desk.erp_id, first.sku) in [(p.erp_id, p.sku) for p in page.products]
    # it is found by that SKU and by id, and by text through any of its variants' codes
    [by_sku] = await erp.products_by_sku([first.sku, "NOPE"])
    [by_id] = await erp.products_by_id([desk.erp_id])
    found = await erp.search_products(ProductQuery(offset=0, limit=5, text=other.sku))
    assert (by_sku.erp_id, by_sku.sku, by_id.sku) == (desk.erp_id, first.sku, first.sku)
    assert [p.sku for p in found.products] == [first.sku]
    # another variant's code is that variant's, not the product's: one product, one SKU
    assert await erp.products_by_sku([other.sku]) == []
    # and its change comes under its SKU
    before = desk.updated_at.replace(microsecond=0) - timedelta(seconds=1)
    [change] = await erp.product_changes(ChangeMark(before, 0), desk.updated_at + timedelta(seconds=1), 1)
    assert (change.product_erp_id, change.sku, change.removed) == (desk.erp_id, first.sku, False)


async def test_a_template_without_a_code_can_be_named_by_its_id(make_backends, catalog):
    erp = make_backends(CGW_BACKENDS__ODOO__PRODUCT_SKU_FALLBACK="id").erp
    desk = next(p for p in catalog.products if p.codeless)
    [found] = await erp.products_by_sku([f"tmpl-{desk.erp_id}", f"tmpl-{catalog.products[0].erp_id}"])
    assert (found.erp_id, found.sku) == (desk.erp_id, f"tmpl-{desk.erp_id}")
    [coded] = await erp.products_by_id([catalog.products[0].erp_id])
    assert coded.sku == catalog.products[0].sku  # a template's own code always wins
