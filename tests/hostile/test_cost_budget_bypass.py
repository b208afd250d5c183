"""Attacks on the cost budget: operations that run (every backend call made) and then have their
charge given back, estimates lowered by how a figure is written, and refunds that fill a bucket past
its size. Each operation is charged at least what it executed, estimated from the values it runs
with, and the budget left never exceeds the key's per-minute figure."""

from __future__ import annotations

import asyncio

import httpx

from tests.clock import MovingClock
from tests.conftest import GraphQLClient, issue_key, served_gateway
from tests.hostile.conftest import assert_responsive

PER_MINUTE = 60_000
# storeAvailability(first: 0) fails (`first` is 1..100) on a non-null field deep in the tree: the failure
# nulls every ancestor up to `data`, after the products, prices and stock were fetched
NULLS_DATA = """{ products(first: 80) { edges { node { sku title priceRange { minVariantPrice { amount } }
  variants { sku price { amount } quantityAvailable storeAvailability(first: 0) { quantity } } } } } }"""
PAGE = "query($n: Int!) { products(first: $n) { edges { node { sku variants { sku } } } } }"
PAGE_DEFAULT = "query($n: Int = 100) { products(first: $n) { edges { node { sku variants { sku } } } } }"
PAGE_LITERAL = "{ products(first: 100) { edges { node { sku variants { sku } } } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { sku } } }"


def cost(answer: dict) -> dict:
    return answer["extensions"]["cost"]


def costed(gql: GraphQLClient, query: str, variables: dict | None = None) -> dict:
    """The answer with its extensions.cost (which GraphQLClient's call leaves out)."""
    response = gql.post(query, variables)
    assert response.status_code == 200, response.text
    return response.json()


async def null_data_attack(base_url: str, key: str, times: int) -> list[dict]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        return [(await client.post("/graphql", json={"query": NULLS_DATA})).json() for _ in range(times)]


def test_an_operation_whose_data_is_nulled_still_spends_the_budget(gateway, mongo_url, api_key):
    # given: a key of 60,000 points a minute
    key = issue_key(mongo_url, "frontend", name="null data", cost_per_minute=PER_MINUTE)
    # when: operations that make every backend call and then null `data`
    answers = asyncio.run(assert_responsive(gateway, api_key, null_data_attack(gateway, key, 5)))
    # then: each is charged what it executed, and the budget shows it
    for answer in answers:
        assert answer["data"] is None and answer["errors"][0]["path"][-1] == "storeAvailability"
        assert cost(answer)["actual"] >= cost(answer)["requested"], cost(answer)  # every backend call was made
    spent = sum(cost(a)["actual"] for a in answers)
    assert cost(answers[-1])["budget"]["remaining"] <= PER_MINUTE - spent + 1_000 * 5, (spent, cost(answers[-1]))


def test_page_sizes_are_estimated_from_the_values_the_operation_runs_with(gql):
    literal = cost(costed(gql, PAGE_LITERAL))["requested"]
    assert literal > 1_000
    # a float variable coerced to Int 100, and an omitted variable whose default is 100
    assert cost(costed(gql, PAGE, {"n": 100.0}))["requested"] == literal
    assert cost(costed(gql, PAGE_DEFAULT))["requested"] == literal


def test_nodes_are_estimated_at_the_number_of_ids(gql):
    ids = [edge["node"]["id"] for edge in gql("{ products(first: 100) { edges { node { id } } } }")[
        "data"]["products"]["edges"]]
    answer = costed(gql, NODES, {"ids": ids})
    assert len(answer["data"]["nodes"]) == 100
    assert cost(answer)["requested"] >= 100 and cost(answer)["actual"] <= cost(answer)["requested"]


def test_refunds_never_fill_the_budget_past_its_size(simulators, mongo_url):
    # given: a gateway on a clock the test moves, and a fresh key, its bucket full
    clock = MovingClock()
    key = issue_key(mongo_url, "frontend", name="refunds", cost_per_minute=PER_MINUTE)
    with served_gateway(simulators, mongo_url, clock=clock) as url:
        client = GraphQLClient(url, key)
        try:
            # when: operations estimated far above what they cost, a little apart (the bucket refills meanwhile)
            figures = []
            for _ in range(4):
                figures.append(cost(client.post(PAGE_LITERAL).json()))
                clock.advance(1.5)
        finally:
            client.http.close()
    # then
    assert all(f["requested"] > f["actual"] for f in figures)
    assert all(f["budget"]["remaining"] <= f["budget"]["perMinute"] for f in figures), figures


def test_a_list_longer_than_its_estimate_is_charged_for_every_item(gateway, mongo_url):
    # given: more than ASSUMED_LIST_SIZE (10) keys, and an admin key with a budget of its own
    for n in range(12):
        issue_key(mongo_url, "frontend", name=f"listed {n}")
    # (a small one: it refills by under two points a second, so what the answer reports is what it took)
    client = GraphQLClient(gateway, issue_key(mongo_url, "admin", name="lister", cost_per_minute=100))
    try:
        # when: a list without `first` (estimated at 10 items) answers with every key
        answer = costed(client, "{ apiKeys { keyId } }")
    finally:
        client.http.close()
    # then: every item answered is charged, and the budget shows it
    listed = len(answer["data"]["apiKeys"])
    figures = cost(answer)
    assert listed > 10 and figures["requested"] == 10 and figures["actual"] == listed, figures
    assert figures["budget"]["remaining"] <= max(0, 100 - listed), figures  # other tests' keys may be over 100
