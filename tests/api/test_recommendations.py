"""Recommendations over the seeded order history: a product's companion (bought with it in most of
its orders) comes first; a customer's list leaves out what they bought or hold in their cart; a new
order, whatever channel it came from, is counted once; a marketplace key sees nothing of it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pymongo import MongoClient

from domain.channels import Channel
from gateway.settings import AuthSettings, load_settings
from gateway.wiring import build_services
from resolvers.recommendation_feed import fold_orders
from simulators.order_history import companion_of, order_history
from tests.api.test_carts import in_stock, payload
from tests.api.test_checkout import SHIPPING, cart_with, check_out
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, gateway_environ, issue_key, served_gateway

DATABASE = "recommendations_test"
PRODUCT = """query($sku: String!, $first: Int!) { product(sku: $sku) { sku
  recommendations(first: $first) { product { sku availableForSale } reason score } } }"""
ME = """query($first: Int!) { me { recommendations(first: $first) { product { sku variants { sku } } reason score } } }"""
SKU = "query($sku: String!) { product(sku: $sku) { sku availableForSale } }"
LISTS = "{ me { lists { id } } }"
SAVE = """mutation($list: ID!, $items: [SavedItemInput!]!) { listItemsAdd(listId: $list, items: $items) {
  userErrors { code } } }"""
VARIANTS = """query($first: Int!) { products(first: $first) { edges { node { sku variants {
  id sku quantityAvailable price { amount } } } } } }"""


def bearer(customer: str) -> dict[str, str]:
    token = jwt.encode({"sub": customer, "exp": int(time.time()) + 600}, AuthSettings().jwt_secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


class Folder:
    """Folds the ERP's orders into the module's store as the gateway's background pass does, each
    pass past the last one's lease (the clock runs ahead of the simulators' by an hour: every
    order made is settled)."""

    def __init__(self, simulators: dict, mongo_url: str) -> None:
        self.settings = load_settings(environ=gateway_environ(simulators, mongo_url, CGW_MONGO__DATABASE=DATABASE))
        self.clock = MovingClock(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1))

    def __call__(self) -> int | None:
        self.clock.advance(60)

        async def run() -> int | None:
            async with build_services(self.settings, clock=self.clock) as built:
                store = built.services.recommendations
                assert store is not None
                return await fold_orders(built.services, store, 30, max_pages=1_000)

        return asyncio.run(run())


@pytest.fixture(scope="module")
def catalog(backends):
    return backends[0]


@pytest.fixture(scope="module")
def folder(backends, mongo_url) -> Folder:
    catalog, simulators = backends
    fold = Folder(simulators, mongo_url)
    assert fold() == len(order_history(catalog).orders)  # the whole history: a first load
    return fold


@pytest.fixture(scope="module")
def gql(backends, mongo_url, folder) -> Iterator[GraphQLClient]:
    with served_gateway(backends[1], mongo_url, CGW_MONGO__DATABASE=DATABASE) as url:
        client = GraphQLClient(url, issue_key(mongo_url, database=DATABASE, name="recommendations",
                                              channels=(Channel.WEB, Channel.APP), **UNLIMITED))
        yield client
        client.http.close()


def ranked_products(catalog) -> list:
    """The seeded products by how many orders hold them, most first."""
    counts = Counter(catalog.variants_by_erp_id[line.variant_erp_id][0].index
                     for order in order_history(catalog).orders for line in order.lines)
    return [catalog.products[index] for index, _ in counts.most_common()]


def share_with(catalog, product, other) -> float:
    """The share of the seeded orders holding `product` that hold `other` too."""
    baskets = [{catalog.variants_by_erp_id[line.variant_erp_id][0].index for line in order.lines}
               for order in order_history(catalog).orders]
    holding = [b for b in baskets if product.index in b]
    return sum(other.index in b for b in holding) / len(holding)


def test_on_the_seeded_history_a_products_companion_ranks_first(gql, catalog):
    # given the seeded history folded in, and its best-selling products whose companion the web sells in stock
    checked = 0
    for product in ranked_products(catalog)[:12]:
        companion = companion_of(catalog, product)
        assert companion is not None
        found = gql(SKU, {"sku": companion.variants[0].sku})["data"]["product"]
        if not found["availableForSale"]:
            continue
        # when the product's recommendations are asked for
        answer = gql(PRODUCT, {"sku": product.variants[0].sku, "first": 5})
        # then its companion comes first, bought together in most of its orders, and every one is in stock
        recommended = answer["data"]["product"]["recommendations"]
        assert recommended[0]["product"]["sku"] == found["sku"], (product.sku, recommended)
        assert recommended[0]["reason"] == "BOUGHT_TOGETHER"
        assert recommended[0]["score"] == pytest.approx(share_with(catalog, product, companion), abs=1e-6)
        assert all(r["product"]["availableForSale"] for r in recommended)
        assert [r["score"] for r in recommended] == sorted((r["score"] for r in recommended), reverse=True)
        checked += 1
    assert checked >= 5


def counts(mongo_url: str, catalog, a_sku: str, b_sku: str) -> tuple[int, int, int]:
    """How many orders hold both products of the variants, and each in the app, as the store counts them."""
    product_of = {v.sku: p.erp_id for p in catalog.products for v in p.variants}
    a, b = product_of[a_sku], product_of[b_sku]
    with MongoClient(mongo_url) as client:
        kept = client[DATABASE]["recommendation_counts"]
        pairs = (kept.find_one({"_id": f"p:{a}"}) or {}).get("pairs", {})
        app = (kept.find_one({"_id": "c:APP"}) or {}).get("products", {})
    return pairs.get(str(b), 0), app.get(str(a), 0), app.get(str(b), 0)


def test_a_checkout_is_counted_once_and_leaves_the_customers_list(gql, folder, catalog, mongo_url):
    # given a customer who has bought nothing yet: the channel's most ordered products
    customer = bearer(f"recs-{uuid.uuid4().hex[:8]}")
    before = gql(ME, {"first": 5}, customer)["data"]["me"]["recommendations"]
    assert before and {r["reason"] for r in before} == {"POPULAR_IN_CHANNEL"}
    # when they check out two products in the app (an ERP order like any channel's), and the feed is folded in twice
    stocked = in_stock([v for e in gql(VARIANTS, {"first": 40})["data"]["products"]["edges"]
                        for v in e["node"]["variants"]], 10)
    first = stocked[0]
    second = next(v for v in stocked if v["sku"].rsplit("-", 1)[0] != first["sku"].rsplit("-", 1)[0])
    together, first_in_app, second_in_app = counts(mongo_url, catalog, first["sku"], second["sku"])
    app = {**customer, "X-Channel": "APP"}
    assert check_out(gql, cart_with(gql, [(first, 1), (second, 1)], app), SHIPPING, app)["userErrors"] == []
    assert folder() == 1
    # then the pair, and each product in the app, count one order more
    assert counts(mongo_url, catalog, first["sku"], second["sku"]) == (together + 1, first_in_app + 1,
                                                                        second_in_app + 1)
    # and a second pass changes nothing
    assert folder() == 0
    assert counts(mongo_url, catalog, first["sku"], second["sku"]) == (together + 1, first_in_app + 1,
                                                                        second_in_app + 1)
    # and the customer's list now starts from what they bought, and holds neither of them
    mine = gql(ME, {"first": 10}, customer)["data"]["me"]["recommendations"]
    bought = {first["sku"], second["sku"]}
    assert mine and mine[0]["reason"] == "SIMILAR_TO_PURCHASED"
    assert not any(bought & {v["sku"] for v in r["product"]["variants"]} for r in mine)


def test_what_the_cart_holds_is_left_out_and_seeds_the_list(gql):
    # given a customer whose cart holds a best-selling product
    customer = bearer(f"recs-{uuid.uuid4().hex[:8]}")
    stocked = in_stock([v for e in gql(VARIANTS, {"first": 40})["data"]["products"]["edges"]
                        for v in e["node"]["variants"]], 5)
    popular = gql(ME, {"first": 10}, customer)["data"]["me"]["recommendations"]
    held = next(v for v in stocked if v["sku"] in {s["sku"] for r in popular for s in r["product"]["variants"]})
    cart_with(gql, [(held, 1)], customer)
    # when their recommendations are asked for
    mine = gql(ME, {"first": 10}, customer)["data"]["me"]["recommendations"]
    # then the cart's product is not among them, and what goes with it comes first
    assert not any(held["sku"] in {v["sku"] for v in r["product"]["variants"]} for r in mine)
    assert mine[0]["reason"] == "BOUGHT_TOGETHER"


def test_what_the_customer_saved_is_left_out_and_seeds_the_list(gql):
    # given a customer who saved a product the channel's most ordered list holds
    customer = bearer(f"recs-{uuid.uuid4().hex[:8]}")
    popular = gql(ME, {"first": 10}, customer)["data"]["me"]["recommendations"]
    stocked = in_stock([v for e in gql(VARIANTS, {"first": 40})["data"]["products"]["edges"]
                        for v in e["node"]["variants"]], 5)
    saved = next(v for v in stocked if v["sku"] in {s["sku"] for r in popular for s in r["product"]["variants"]})
    default = gql(LISTS, headers=customer)["data"]["me"]["lists"][0]
    added = payload(gql(SAVE, {"list": default["id"], "items": [{"merchandiseId": saved["id"]}]}, customer),
                    "listItemsAdd")
    assert added["userErrors"] == []
    # when their recommendations are asked for
    mine = gql(ME, {"first": 10}, customer)["data"]["me"]["recommendations"]
    # then the saved product is not among them, and what goes with it comes first
    assert not any(saved["sku"] in {v["sku"] for v in r["product"]["variants"]} for r in mine)
    assert mine[0]["reason"] == "SIMILAR_TO_SAVED"


def test_first_is_bounded(gql):
    for first in (0, 101, 10_000):
        answer = gql(ME, {"first": first}, bearer("cust-0001"))
        assert answer["data"]["me"] is None
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_USER_INPUT"]
        assert "between 1 and 100" in answer["errors"][0]["message"]


def test_a_marketplace_key_sees_nothing_of_a_customers_recommendations(gql, mongo_url):
    # given a marketplace key and a customer's valid token
    client = GraphQLClient(str(gql.http.base_url).rstrip("/"), issue_key(mongo_url, "marketplace", database=DATABASE))
    try:
        answer = client(ME, {"first": 5}, bearer("cust-0001"))
    finally:
        client.http.close()
    # then nothing of the customer comes back
    assert answer["data"] == {"me": None}
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
