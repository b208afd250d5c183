"""`me { orders }`: every system's orders of the customer, newest first, each order once, paged
across the systems by one cursor; a system down costs its own orders (or the ERP's copies stand in)."""

from __future__ import annotations

import uuid

import pytest

from simulators.customer_history import erp_only, orders_in
from simulators.order_history import order_history
from tests.adapters.test_customers import person_everywhere
from tests.api.test_customer_profile import backend_errors, token

ORDERS = """query($first: Int!, $after: String) { me { orders(first: $first, after: $after) {
  edges { cursor node { id number status systemStatus system channel createdAt totalAmount { amount currencyCode }
                        lines { sku quantity } } }
  pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""


def read_all(gql, headers: dict, first: int) -> list[dict]:
    nodes, after = [], None
    while True:
        page = gql(ORDERS, {"first": first, "after": after}, headers=headers)["data"]["me"]["orders"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def expected_numbers(catalog, person) -> list[str]:
    """Each of the person's orders once, as the system that took it numbers it (the ERP for the rest)."""
    seeded = [o for o in order_history(catalog).orders if o.customer == person.index]
    web = {o.index for o in orders_in(catalog, "WEB")}
    app = {o.index for o in orders_in(catalog, "APP")}
    return sorted(str(20_000 + o.index) if o.index in web else str(1_000 + o.index) if o.index in app else "erp"
                  for o in seeded)


def test_every_systems_orders_come_once_newest_first(gql, catalog):
    # given a customer with orders taken by the web-shop, the app and the stores (all copied to the ERP)
    person, _, _ = person_everywhere(catalog)
    # when they read their history in one page
    answer = gql(ORDERS, {"first": 100}, headers=token(person.ref, person.email))
    assert "errors" not in answer
    nodes = [e["node"] for e in answer["data"]["me"]["orders"]["edges"]]
    # then each order is there once, the web-shop's and the app's as they number them
    assert sorted("erp" if n["system"] == "odoo" else n["number"] for n in nodes) == expected_numbers(catalog, person)
    assert [n["createdAt"] for n in nodes] == sorted((n["createdAt"] for n in nodes), reverse=True)
    by_system = {n["system"]: n for n in nodes}
    assert set(by_system) == {"odoo", "woocommerce", "medusa"}
    assert by_system["woocommerce"]["channel"] == "WEB" and by_system["medusa"]["channel"] == "APP"
    assert {n["channel"] for n in nodes if n["system"] == "odoo"} <= {"STORE", "CALL_CENTER"}
    assert all(n["status"] in {"CONFIRMED", "COMPLETED", "CANCELLED", "REFUNDED"} for n in nodes)
    assert len({n["id"] for n in nodes}) == len(nodes)


@pytest.mark.parametrize("first", [1, 3, 7])
def test_pages_across_the_systems_add_up_to_the_whole_history(gql, catalog, first):
    person, _, _ = person_everywhere(catalog)
    headers = token(person.ref, person.email)
    whole = gql(ORDERS, {"first": 100}, headers=headers)["data"]["me"]["orders"]["edges"]
    paged = read_all(gql, headers, first)
    assert [n["id"] for n in paged] == [e["node"]["id"] for e in whole]


def test_a_page_costs_the_same_calls_however_far_the_customer_has_paged(gql, simulators, catalog):
    person, _, _ = person_everywhere(catalog)
    headers = token(person.ref, person.email)
    costs = []
    after = None
    for _ in range(4):
        for sim in simulators.values():
            sim.reset_stats()
        page = gql(ORDERS, {"first": 2, "after": after}, headers=headers)["data"]["me"]["orders"]
        costs.append({name: simulators[name].stats() for name in ("odoo", "woocommerce", "medusa")})
        after = page["pageInfo"]["endCursor"]
    # the ERP: one search_read and one read of the lines; the shops: the customer, then their orders
    assert all(cost == costs[0] for cost in costs)
    assert costs[0]["odoo"]["rpc sale.order.search_read"] == 1
    assert costs[0]["woocommerce"] == {"GET /wp-json/wc/v3/customers": 1, "GET /wp-json/wc/v3/orders": 1}
    assert costs[0]["medusa"] == {"GET /admin/customers": 1, "GET /admin/orders": 1}


def test_the_erp_copies_stand_in_for_a_web_shop_that_is_down(gql, simulators, catalog):
    person, _, _ = person_everywhere(catalog)
    simulators["woocommerce"].faults(down=True)
    answer = gql(ORDERS, {"first": 100}, headers=token(person.ref, person.email))
    nodes = [e["node"] for e in answer["data"]["me"]["orders"]["edges"]]
    assert len(nodes) == len(expected_numbers(catalog, person))
    assert {n["system"] for n in nodes if n["channel"] == "WEB"} == {"odoo"}
    assert backend_errors(answer) == {(("me", "orders"), "BACKEND_UNAVAILABLE", "woocommerce")}


def test_with_the_erp_down_the_shops_orders_are_answered_and_the_erp_named(gql, simulators, catalog):
    person, _, _ = person_everywhere(catalog)
    simulators["odoo"].faults(down=True)
    answer = gql(ORDERS, {"first": 100}, headers=token(person.ref, person.email))
    nodes = [e["node"] for e in answer["data"]["me"]["orders"]["edges"]]
    assert nodes and {n["system"] for n in nodes} == {"woocommerce", "medusa"}
    assert ((("me", "orders"), "BACKEND_UNAVAILABLE", "odoo")) in backend_errors(answer)


def test_a_customer_known_to_the_erp_alone_sees_its_copies(gql, catalog):
    person = next(p for p in order_history(catalog).customers if erp_only(p))
    nodes = read_all(gql, token(person.ref, person.email), 50)
    assert len(nodes) == sum(o.customer == person.index for o in order_history(catalog).orders)
    assert {n["system"] for n in nodes} == {"odoo"}


def test_an_unverified_email_reaches_none_of_its_owners_orders(gql, catalog):
    person, _, _ = person_everywhere(catalog)
    answer = gql(ORDERS, {"first": 100}, headers=token(f"cust-{uuid.uuid4().hex[:8]}", person.email, verified=False))
    assert answer["data"]["me"]["orders"]["edges"] == []


def test_a_marketplace_key_sees_no_orders(client_with_key, catalog):
    person, _, _ = person_everywhere(catalog)
    answer = client_with_key("marketplace")(ORDERS, {"first": 5}, headers=token(person.ref, person.email))
    assert answer["data"] is None or answer["data"]["me"] is None
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}


@pytest.mark.parametrize(("variables", "says"), [
    ({"first": 101}, "between 1 and 100"),
    ({"first": 0}, "between 1 and 100"),
    ({"first": 5, "after": "bm90IGEgY3Vyc29y"}, "not a cursor"),
    ({"first": 5, "after": "x" * 500}, "not a cursor"),
])
def test_bad_paging_is_refused_saying_what_is_allowed(gql, catalog, variables, says):
    person, _, _ = person_everywhere(catalog)
    answer = gql(ORDERS, variables, headers=token(person.ref, person.email))
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and says in answer["errors"][0]["message"]
