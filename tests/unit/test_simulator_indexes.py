"""The simulators search by indexes, as the real systems' databases do, so a benchmark at 100,000
products measures the gateway and not the simulator. The indexed answers must be the ones a read of
every record gives (the reference: `Registry.indexed` False), after writes too, and the records a
search reads must not grow with the catalog."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from simulators import medusa, odoo_domains, woocommerce
from simulators.catalog import Catalog
from simulators.instruments import Instruments
from simulators.odoo import ADDONS, OdooService
from simulators.odoo_models import Model, OdooError
from tests.clock import MovingClock

NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)  # after every seeded write
SIZE = 150
PAGES = [(0, None), (3, 9)]


def answer(service: OdooService, model: str, method: str, kwargs: dict) -> object:
    try:
        return service.call(model, method, kwargs)
    except OdooError as exc:
        return "error", exc.name, exc.message
    except Exception as exc:  # noqa: BLE001 - a server error either way: the same one
        return "raised", type(exc).__name__


def written(service: OdooService, clock: MovingClock) -> None:
    """Writes of every kind the simulated Odoo takes, some within one second, some not."""
    call = service.call
    call("product.template", "write", {"ids": [3, 17, 46], "vals": {"active": False}})
    clock.advance(0.25)
    call("product.template", "write", {"ids": [5], "vals": {"name": "Lumen Trail Kettle"}})
    call("product.template", "write", {"ids": [6], "vals": {"name": "ZZ Top Hat", "list_price": 12.5}})
    clock.advance(1.5)
    call("product.template", "write", {"ids": [17], "vals": {"active": True, "name": "Storm Kettle Reborn"}})
    call("product.product", "write", {"ids": [9], "vals": {"barcode": "4000000000999"}})
    clock.advance(0.7)
    quant = call("stock.quant", "create", {"vals": {"product_id": 13, "location_id": 101, "inventory_quantity": 0},
                                            "context": {"inventory_mode": True}})
    counted = call("stock.quant", "create", {"vals": {"product_id": 21, "location_id": 104, "inventory_quantity": 7},
                                              "context": {"inventory_mode": True}})
    call("stock.quant", "action_apply_inventory", {"ids": [quant, counted]})
    items = call("product.pricelist.item", "search", {"domain": [["pricelist_id", "=", 2], ["product_id", "!=", False]],
                                                      "limit": 3})
    call("product.pricelist.item", "write", {"ids": items, "vals": {"fixed_price": 1.99}})
    clock.advance(2)
    call("product.pricelist.item", "create", {"vals": {"pricelist_id": 3, "product_tmpl_id": 8, "fixed_price": 3.0}})
    service.registry.catalog.change("woocommerce", service.registry.catalog.products[30], title="Renamed")


def text(words: str) -> list:
    return [["sale_ok", "=", True], "|", "|", ["name", "ilike", words], ["default_code", "ilike", words],
            ["product_variant_ids.default_code", "ilike", words]]


def odoo_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f" if at.microsecond else "%Y-%m-%d %H:%M:%S")


def window(first: datetime, last: datetime, after_id: int) -> list:
    """The change feeds' domain (adapters/odoo/changes.py): the rest of a second after an id, then on."""
    second = first + timedelta(seconds=1)
    return ["|", "&", ["write_date", ">=", odoo_time(first)], "&", ["write_date", "<", odoo_time(second)],
            ["id", ">", after_id], ["write_date", ">=", odoo_time(second)], ["write_date", "<", odoo_time(last)]]


def cases(catalog: Catalog) -> Iterator[tuple[str, list, dict, list[str]]]:
    """(model, domain, context, orders) of the searches the gateway makes, and of their neighbours."""
    seeded = sorted(p.updated_at for p in catalog.products)
    early, late = seeded[len(seeded) // 3], seeded[2 * len(seeded) // 3]
    codeless = next(p for p in catalog.products if p.codeless)
    template_orders = ["id", "id desc", "name asc, id asc", "name desc", "list_price desc, id desc",
                       "write_date asc, id asc", "write_date desc", "default_code", "categ_id, id desc", "active desc"]
    for domain in [
        [], [["sale_ok", "=", True]], text("Trail"), text("storm kettle"), text("CG-00001"), text("KETT"), text("%"),
        text("t_a"), text("\\%"), text(""), text("tRaIl"), text("Ünïcode"),
        [["name", "=", catalog.products[0].erp_title]], [["name", "in", [catalog.products[1].erp_title, "none"]]],
        [["name", "!=", catalog.products[2].erp_title]], [["name", "not in", [catalog.products[2].erp_title]]],
        [["name", "like", "Trail"]], [["name", "=like", "N%"]], [["name", "=ilike", "nordwind%"]],
        [["name", "not ilike", "trail"]], [["name", ">", "M"]], [["name", "<=", "Harbor"]],
        [["active", "=", False]], [["active", "in", [True, False]]], [["active", "!=", True]],
        [["categ_id.name", "=ilike", "jackets"]], [["categ_id", "=", 100]], [["categ_id", "child_of", [100, 101]]],
        [["categ_id", "ilike", "saleable / k"]], [["categ_id.parent_id", "=", 2]],
        [["product_brand_id.name", "=", "Lumen"]],
        [["list_price", ">=", 50.0], ["list_price", "<=", 100.0]], [["list_price", "=", 12.5]],
        ["!", ["name", "ilike", "trail"]], ["|", ["default_code", "=", "CG-000003"], ["name", "ilike", "lumen"]],
        [["default_code", "=", False]], [["default_code", "!=", False]], [["default_code", "in", ["CG-000004", False]]],
        [["product_variant_ids.default_code", "=", codeless.variants[1].sku]],
        [["product_variant_ids.default_code", "not ilike", "-S"]],
        [["id", "in", [1, 2, 3, 500]]], [["id", ">", 100], ["name", "ilike", "a"]],
        [["write_date", ">=", odoo_time(early)]], [["write_date", "<", odoo_time(late)]], window(early, late, 20),
        window(NOON, NOON + timedelta(hours=1), 4), [["write_date", "=", odoo_time(NOON)]],
        [["qty_available", ">", 0]], [["nonexistent", "=", 1]], [["categ_id.nonexistent", "=", 1]],
        [["list_price", ">", "text"]], ["&", ["name", "ilike", "x"]],
    ]:
        yield "product.template", domain, {}, template_orders
        yield "product.template", domain, {"active_test": False}, template_orders[::3]
    yield "product.template", [["qty_available", ">", 0]], {"location": [104]}, template_orders[:3]
    for domain in [
        [], [["default_code", "in", [catalog.products[4].variants[0].sku, "nope"]]], [["default_code", "ilike", "-m"]],
        [["barcode", "in", ["4000000000999", catalog.products[2].variants[0].gtin]]],
        [["product_tmpl_id", "in", [1, 2, 46]]], [["product_tmpl_id.name", "ilike", "trail"]],
        [["active", "=", False]], [["write_date", "<", odoo_time(late)]], window(early, late, 30),
        window(NOON, NOON + timedelta(hours=1), 0),
        [["default_code", "!=", False], ["product_tmpl_id", "in", [46, 47]]],
    ]:
        for context in ({}, {"active_test": False}):
            yield "product.product", domain, context, ["id", "id desc", "default_code desc",
                                                       "write_date asc, id asc", "write_date desc, id desc", "active"]
    for domain in [
        [["product_id", "in", [13, 21, 22]], ["location_id", "child_of", [101, 104]]],
        [["write_date", "<", odoo_time(late)], ["location_id", "child_of", [101]]],
        window(early, late, 400) + [["location_id", "child_of", [101, 102]]],
        window(NOON, NOON + timedelta(hours=1), 0),
    ]:
        yield "stock.quant", domain, {}, ["id", "write_date asc, id asc", "write_date desc"]
    for domain in [
        [["pricelist_id", "=", 2], ["product_id", "in", [1, 2, 3, 5, 9]]],
        [["write_date", "<", odoo_time(late)], ["pricelist_id", "in", [2, 3]]],
        window(NOON, NOON + timedelta(hours=1), 0), window(early, late, 100),
        [["pricelist_id", "in", [2]], ["base", "=", "pricelist"], ["base_pricelist_id", "!=", False]],
    ]:
        yield "product.pricelist.item", domain, {}, ["id", "write_date asc, id asc", "write_date desc, id"]


@pytest.fixture(params=["as configured", "small thresholds"])
def thresholds(request, monkeypatch) -> None:
    if request.param == "small thresholds":  # every path: large plans read in order, small write ranges narrow
        monkeypatch.setattr(odoo_domains, "SORT_AT_MOST", 4)
        monkeypatch.setattr(odoo_domains, "WRITTEN_AT_MOST", 30)


def test_indexed_searches_answer_as_reading_every_record_does(thresholds):
    # given a catalog changed through every write the simulated Odoo takes
    clock = MovingClock(NOON)
    catalog = Catalog(SIZE, clock=clock)
    service = OdooService(catalog, Instruments(), "19.0", ADDONS)
    written(service, clock)
    registry = service.registry
    differences = []
    for (model, domain, context, orders), whole_seconds in itertools.product(cases(catalog), (True, False)):
        if not whole_seconds and "write_date" not in repr(domain):
            continue
        registry.whole_seconds = whole_seconds  # Odoo 19 compares datetimes to the second, 18 to the microsecond
        asked = [("search_count", {"domain": domain, "context": context})]
        asked += [("search", {"domain": domain, "context": context, "order": order, "offset": offset, "limit": limit})
                  for order in orders for offset, limit in PAGES]
        for method, kwargs in asked:
            # when each is answered by the indexes and by reading every record
            registry.indexed = True
            indexed = answer(service, model, method, kwargs)
            registry.indexed = False
            read = answer(service, model, method, kwargs)
            registry.indexed = True
            if indexed != read:
                differences.append((model, method, kwargs, whole_seconds, indexed, read))
    # then the answers are the same
    assert not differences, differences[:3]


def test_indexes_follow_the_writes(thresholds):
    # given the indexes built on a first search
    clock = MovingClock(NOON)
    catalog = Catalog(SIZE, clock=clock)
    service = OdooService(catalog, Instruments(), "19.0", ADDONS)
    search = lambda domain, **kw: service.call("product.template", "search", {"domain": domain, **kw})  # noqa: E731
    assert 5 not in search(text("Trail")) and 3 in search([])
    # when products are renamed, archived and repriced
    written(service, clock)
    # then a search finds them as they are now
    assert 5 in search(text("Trail")) and search(text("reborn")) == [17]
    assert 3 not in search([]) and 17 in search([]) and search([["active", "=", False]]) == [3, 46]
    assert search([["list_price", "=", 12.5]]) == [6] and search([], order="name desc", limit=1) == [6]
    assert search([], order="write_date desc, id", limit=3) == [17, 5, 6]  # 5 and 6 in one write


ERP_CALLS = [  # what a listing, its count, a text search and the change feeds ask the ERP
    ("product.template", "search_read", {"domain": [["sale_ok", "=", True]], "fields": ["name", "default_code"],
                                         "limit": 51, "order": "id asc, id asc"}),
    ("product.template", "search_read", {"domain": [["sale_ok", "=", True]], "fields": ["name"], "limit": 51,
                                         "order": "name asc, id asc"}),
    ("product.template", "search_count", {"domain": [["sale_ok", "=", True]]}),
    ("product.template", "search_read", {"domain": text("Trail"), "fields": ["name"], "limit": 51,
                                         "order": "id asc, id asc"}),
    ("product.template", "search_count", {"domain": text("Trail")}),
    ("product.template", "search_count", {"domain": [["sale_ok", "=", True], ["categ_id.name", "=ilike", "jackets"]]}),
    ("product.template", "search_read", {"domain": [["write_date", "<", "2027-01-01 00:00:00"]], "fields": ["id"],
                                         "limit": 100, "order": "write_date asc, id asc",
                                         "context": {"active_test": False}}),
    ("stock.quant", "search_read", {"domain": [["write_date", "<", "2027-01-01 00:00:00"],
                                               ["location_id", "child_of", [101]]],
                                    "fields": ["id"], "limit": 100, "order": "write_date asc, id asc"}),
]


def records_read(size: int, monkeypatch) -> int:
    """Field values read to answer ERP_CALLS once more, the indexes built."""
    service = OdooService(Catalog(size), Instruments(), "19.0", ADDONS)
    for model, method, kwargs in ERP_CALLS:
        service.call(model, method, kwargs)
    reads = itertools.count()
    value, stored = Model.value, Model.stored_datetime
    with monkeypatch.context() as patched:
        patched.setattr(Model, "value", lambda self, *a: (next(reads), value(self, *a))[1])
        patched.setattr(Model, "stored_datetime", lambda self, *a: (next(reads), stored(self, *a))[1])
        for model, method, kwargs in ERP_CALLS:
            service.call(model, method, kwargs)
    return next(reads)


@pytest.mark.slow
def test_an_erp_search_reads_no_more_records_at_20000_products_than_at_2000(monkeypatch):
    assert records_read(20_000, monkeypatch) <= records_read(2_000, monkeypatch) * 1.1


async def change_list(app, path: str, params: list, **headers: str) -> tuple[list, str]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
        response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    if isinstance(body, list):
        return [(p["id"], p["date_modified_gmt"]) for p in body], response.headers["X-WP-Total"]
    return [(p["id"], p["updated_at"]) for p in body["products"]], str(body["count"])


WOO = ("/wp-json/wc/v3/products", {"authorization": "Basic " + base64.b64encode(b"ck_demo:cs_demo").decode()})
MEDUSA = ("/store/products", {"x-publishable-api-key": "pk_demo"})


async def test_the_change_lists_of_the_shop_and_the_app_answer_as_filtering_every_product_does():
    # given products changed through the web-shop and the app backend, some within one millisecond
    clock = MovingClock(NOON)
    catalog = Catalog(SIZE, clock=clock)
    shop, app = woocommerce.create_app(catalog), medusa.create_app(catalog)
    for n, product in enumerate(p for p in catalog.products[10:60] if p.in_webshop and p.in_app):
        clock.advance(0.0004 if n % 3 else 0.6)
        catalog.change(woocommerce.NAME, product, title=f"Shop {n}")
        catalog.change(medusa.NAME, product, title=f"App {n}")
    listed = [str(p.index + 1) for p in catalog.products if p.in_webshop]
    in_app = [f"prod_{p.erp_id:08d}" for p in catalog.products if p.in_app]
    seeded = sorted(p.updated_at for p in catalog.products)[SIZE // 2].strftime("%Y-%m-%dT%H:%M:%S")
    later = (NOON + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
    for bounds in ([], [("modified_after", seeded)], [("modified_before", later)],
                   [("modified_after", NOON.strftime("%Y-%m-%dT%H:%M:%S")), ("modified_before", later)]):
        for order, page in itertools.product(("asc", "desc"), ("1", "3")):
            params = [("status", "publish"), ("orderby", "modified"), ("order", order), ("per_page", "20"),
                      ("page", page), *bounds]
            # when the web-shop's change list is read, and the same list filtered from every product
            fast = await change_list(shop, WOO[0], params, **WOO[1])
            read = await change_list(shop, WOO[0], [*params, ("include", ",".join(listed))], **WOO[1])
            # then they agree
            assert fast == read, (params, fast, read)
    medusa_bounds = [("updated_at[$gte]", seeded + "Z")]
    for bounds in ([], medusa_bounds, [("updated_at[$gt]", NOON.isoformat())], [("updated_at[$lt]", later + "Z"),
                                                                                  ("updated_at[$lte]", later + "Z")]):
        for order, offset in itertools.product(("updated_at", "-updated_at"), ("0", "25")):
            params = [("order", order), ("limit", "20"), ("offset", offset), *bounds]
            fast = await change_list(app, MEDUSA[0], params, **MEDUSA[1])
            read = await change_list(app, MEDUSA[0], [*params, *(("id[]", i) for i in in_app)], **MEDUSA[1])
            assert fast == read, (params, fast, read)


async def stamps_read(size: int, monkeypatch) -> int:
    """Modification times looked up to answer the first page of each change list."""
    catalog = Catalog(size)
    shop, app = woocommerce.create_app(catalog), medusa.create_app(catalog)
    reads = itertools.count()
    stamp = catalog.stamp
    monkeypatch.setattr(catalog, "stamp", lambda *a: (next(reads), stamp(*a))[1])
    await change_list(shop, WOO[0], [("status", "publish"), ("orderby", "modified"), ("order", "asc"),
                                     ("per_page", "100")], **WOO[1])
    await change_list(app, MEDUSA[0], [("order", "updated_at"), ("limit", "100")], **MEDUSA[1])
    return next(reads)


@pytest.mark.slow
async def test_a_change_list_reads_no_more_products_at_20000_than_at_2000(monkeypatch):
    assert await stamps_read(20_000, monkeypatch) <= await stamps_read(2_000, monkeypatch) * 1.1
