"""How a product is named and matched across backends, over the live gateway: an ERP template with
several variants and no code of its own (like the Odoo demo's "Customizable Desk") is a product
under its first variant's code, found by any of its variants' codes, in the change feed; the
web-shop's parent product (with a SKU of its own) and the app's (a URL slug for a handle, no SKU)
are matched to it through the variants' SKUs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from simulators.catalog import Catalog, SeedProduct
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, running_simulators, served_gateway

DATABASE = "product_identity_tests"
SETTLE = 1.0
GATEWAY = {"CGW_MONGO__DATABASE": DATABASE, "CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE),
           # the app backend owns the description: its content must be matched to come first
           "CGW_CATALOG__OWNERSHIP__DESCRIPTION": '["app", "erp"]'}
ODOO = {"Authorization": "bearer odoo-demo-key"}
PRODUCT = """
query($sku: String!) {
  product(sku: $sku) { id sku title variants { sku } sources { field backend } }
}"""
LISTING = """
query($query: String) { products(first: 100, query: $query) { nodes { id sku } } }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on Product { sku } } }"
CHANGES = """
query($since: String) {
  catalogChanges(since: $since, first: 100) {
    nodes { sku removed product { sku } } pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture(scope="module")
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(scope="module")
def backends(clock) -> Iterator[tuple[Catalog, dict]]:
    catalog = Catalog(50, clock=clock)  # product 46 is codeless
    with running_simulators(catalog) as running:
        yield catalog, running


@pytest.fixture(scope="module")
def gql(backends, mongo_url, clock) -> Iterator[Callable[..., dict]]:
    _, simulators = backends
    key = issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)
    with served_gateway(simulators, mongo_url, clock, **GATEWAY) as url:
        client = GraphQLClient(url, key)
        yield client
        client.http.close()


@pytest.fixture(scope="module")
def desk(backends) -> SeedProduct:
    catalog, _ = backends
    found = next(p for p in catalog.products if p.codeless)
    assert found.in_webshop and found.in_app and found.webshop_sku != found.sku
    return found


def test_a_template_without_a_code_is_listed_under_its_first_variants_code(gql, desk):
    # when the assortment is listed, and searched for another variant's code
    listed = gql(LISTING)["data"]["products"]["nodes"]
    searched = gql(LISTING, {"query": desk.variants[2].sku})["data"]["products"]["nodes"]
    # then the desk-like product is there, under its first variant's code
    assert desk.variants[0].sku == desk.sku and desk.sku in [n["sku"] for n in listed]
    assert [n["sku"] for n in searched] == [desk.sku]


def test_it_is_found_by_its_sku_by_a_variants_sku_and_by_its_id(gql, desk):
    by_sku = gql(PRODUCT, {"sku": desk.sku})["data"]["product"]
    by_variant = gql(PRODUCT, {"sku": desk.variants[1].sku})["data"]["product"]
    assert by_sku is not None and by_variant == by_sku
    assert by_sku["sku"] == desk.sku and [v["sku"] for v in by_sku["variants"]] == [v.sku for v in desk.variants]
    assert gql(NODE, {"id": by_sku["id"]})["data"]["node"] == {"sku": desk.sku}


def test_web_shop_and_app_content_are_matched_through_the_variants(gql, desk):
    # the web-shop's parent has a SKU of its own and the app's product a slug for a handle (and no
    # first variant): both share only the variants' SKUs with the ERP
    product = gql(PRODUCT, {"sku": desk.sku})["data"]["product"]
    sources = {s["field"]: s["backend"] for s in product["sources"]}
    assert (product["title"], sources["title"], sources["description"]) == (desk.title, "woocommerce", "medusa")


def test_its_changes_come_under_its_sku_removal_included(gql, backends, desk, clock):
    _, simulators = backends

    def write(vals: dict) -> None:
        httpx.post(f"{simulators['odoo'].url}/json/2/product.template/write", headers=ODOO,
                   json={"ids": [desk.erp_id], "vals": vals}).raise_for_status()
        clock.advance(SETTLE + 1)

    cursor = drain(gql, None)[1]
    write({"list_price": 77.0})
    changed, cursor = drain(gql, cursor)
    write({"active": False})
    removed, _ = drain(gql, cursor)
    assert changed == [{"sku": desk.sku, "removed": False, "product": {"sku": desk.sku}}]
    assert removed == [{"sku": desk.sku, "removed": True, "product": None}]


def drain(gql, since: str | None) -> tuple[list[dict], str]:
    """Every change after `since`, and the cursor after the last."""
    nodes: list[dict] = []
    while True:
        page = gql(CHANGES, {"since": since})["data"]["catalogChanges"]
        nodes += page["nodes"]
        since = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, since
