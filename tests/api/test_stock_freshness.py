"""Stock freshness: figures are reused for `catalog.stock_cache_seconds` with the time they were
read (`asOf`); `@inContext(maxStockAge:)` asks for fresher ones; mutations always read live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import GraphQLClient, served_gateway

STOCK = '{ product(sku: "CG-000012") { variants { id stock { quantity asOf } } } }'
MARKETPLACE = 'query @inContext(channel: MARKETPLACE) { product(sku: "CG-000012") { variants { stock { asOf } } } }'
ADD = """mutation($cart: ID!, $variant: ID!) { cartLinesAdd(cartId: $cart, lines: [{merchandiseId: $variant}]) {
  userErrors { code } } }"""
QUANT_READS = "rpc stock.quant.search_read"


@pytest.fixture(scope="module")
def gql60(simulators, mongo_url, api_key) -> Iterator[GraphQLClient]:
    """A gateway keeping stock figures for a minute, so that no test here races the cache's clock."""
    with served_gateway(simulators, mongo_url, CGW_CATALOG__STOCK_CACHE_SECONDS="60") as url:
        client = GraphQLClient(url, api_key)
        yield client
        client.http.close()


def as_of(answer: dict) -> str:
    return answer["data"]["product"]["variants"][0]["stock"]["asOf"]


def quant_reads(simulators) -> int:
    return simulators["odoo"].stats().get(QUANT_READS, 0)


def test_figures_are_reused_with_the_time_they_were_read(gql60, simulators):
    first = as_of(gql60(STOCK))
    simulators["odoo"].reset_stats()
    assert as_of(gql60(STOCK)) == first
    assert quant_reads(simulators) == 0


def test_max_stock_age_asks_for_a_live_read(gql60, simulators):
    cached = as_of(gql60(STOCK))
    simulators["odoo"].reset_stats()
    live = as_of(gql60(STOCK.replace("{ product", "query @inContext(maxStockAge: 0) { product", 1)))
    assert live > cached and quant_reads(simulators) == 1
    # a figure younger than the age asked for is good enough
    assert as_of(gql60(STOCK.replace("{ product", "query @inContext(maxStockAge: 30) { product", 1))) == live
    assert quant_reads(simulators) == 1


def test_mutations_check_stock_live(gql60, simulators):
    variant = gql60(STOCK)["data"]["product"]["variants"][0]["id"]
    cart = gql60("mutation { cartCreate(input: {}) { cart { id } } }")["data"]["cartCreate"]["cart"]["id"]
    simulators["odoo"].reset_stats()
    assert gql60(ADD, {"cart": cart, "variant": variant})["data"]["cartLinesAdd"]["userErrors"] == []
    assert quant_reads(simulators) >= 1


def test_the_marketplace_pool_is_reused_too(gql60, simulators):
    first = as_of(gql60(MARKETPLACE))
    simulators["ebay"].reset_stats()
    assert as_of(gql60(MARKETPLACE)) == first and not simulators["ebay"].stats()


def test_a_negative_age_is_bad_input(gql60):
    answer = gql60(STOCK.replace("{ product", "query @inContext(maxStockAge: -1) { product", 1))
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "maxStockAge" in answer["errors"][0]["message"]
