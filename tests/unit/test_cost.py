"""The cost formula (README, "Cost") on worked examples over the real schema, and the limits' validation
staying cached."""

from __future__ import annotations

import pytest
from graphql import parse

from schema import cost
from schema.protection import operation_of
from schema.schema import build_schema

SCHEMA_WITH_LIMITS = build_schema()
SCHEMA = SCHEMA_WITH_LIMITS._schema


def requested(document: str, variables: dict | None = None) -> cost.Estimate:
    parsed = parse(document)
    return cost.estimate(SCHEMA, parsed, operation_of(parsed, None), variables)


@pytest.mark.parametrize(("document", "points"), [
    # scalars and enums are free; the list of channels is assumed to hold 10
    ("{ channels { code name } }", 10),
    # a connection is 1, each of `first` edges 1, each node 1: 1 + 20 × (1 + 1)
    ("{ products(first: 20) { edges { cursor node { sku title } } } }", 41),
    # nested lists multiply: 1 + 20 × (1 + 10 variants × (1 + price 1))
    ("{ products(first: 20) { nodes { sku variants { sku price { amount } } } } }", 421),
    # a list of scalars costs nothing, pageInfo is one object
    ("{ products(first: 5) { pageInfo { hasNextPage } nodes { categories } } }", 1 + 1 + 5),
    # `first` above the page maximum counts as the maximum (it is refused anyway)
    ("{ products(first: 500) { nodes { sku } } }", 1 + 100),
    # a list argument's schema default counts: storeAvailability(first: 10)
    ('{ product(sku: "CG-000001") { storeAvailability { store { name } } } }', 1 + 10 * 2),
    # fragments and inline fragments count where they are used
    ("query { products(first: 3) { nodes { ...P } } } fragment P on Product { variants { sku } }", 1 + 3 * 11),
    ('{ node(id: "x") { ... on Product { variants { sku } } } }', 1 + 10),
])
def test_requested_cost(document: str, points: int):
    assert requested(document).requested == points


@pytest.mark.parametrize(("document", "kinds"), [
    ("{ channels { code } }", {"content"}),
    ("{ products(first: 2) { nodes { sku variants { price { amount } } } } }", {"content", "price"}),
    ('{ product(sku: "x") { priceRange { minVariantPrice { amount } } totalInventory } }',
     {"content", "price", "stock"}),
    ("query { products(first: 2) { nodes { ...V } } } fragment V on Product { variants { stock { quantity } } }",
     {"content", "stock"}),
    ("{ me { id } }", {"content", "private"}),
    ('{ node(id: "x") { ... on Cart { id } } }', {"content", "private"}),
    ('{ node(id: "x") { ... on Product { sku } } }', {"content"}),
])
def test_the_same_walk_records_what_the_operation_touches(document: str, kinds: set[str]):
    assert requested(document).touched == kinds


def test_page_sizes_from_variables():
    document = "query Q($n: Int!) { products(first: $n) { nodes { sku } } }"
    assert requested(document, {"n": 7}).requested == 8
    assert requested(document, {"n": 10_000}).requested == 101


def test_mutations_cost_more():
    figures = requested('mutation { cartCreate(input: {}) { cart { id } userErrors { code } } }')
    assert figures.mutation_points == cost.MUTATION_COST
    # the payload 1, its cart 1, its userErrors list 10, and the mutation itself
    assert figures.requested == 1 + 1 + cost.ASSUMED_LIST_SIZE + cost.MUTATION_COST


def test_introspection_is_flagged_and_priced_flat():
    figures = requested("{ __schema { types { name fields { name } } } }")
    assert figures.introspection and figures.requested == cost.INTROSPECTION_COST


def test_actual_cost_counts_the_objects_returned():
    data = {"products": {"nodes": [{"sku": "a", "variants": [{"sku": "a1"}, {"sku": "a2"}]}, {"sku": "b"}],
                         "pageInfo": {"hasNextPage": False}}}
    assert cost.objects_in(data) == 1 + 2 + 2 + 1
    assert cost.objects_in(None) == 0


async def test_a_repeated_document_is_validated_once_with_every_limit_in_place():
    # the limits' validation rules are the same classes on every request, so the validation
    # cache (keyed by document and rules) hits; new classes per request would miss it each time
    from strawberry.extensions.validation_cache import _get_validate_cache

    from schema.schema import DOCUMENT_CACHE_SIZE

    cache = _get_validate_cache(DOCUMENT_CACHE_SIZE)
    document = "{ products(first: 2) { nodes { sku title } } }"
    await SCHEMA_WITH_LIMITS.execute(document)
    before = cache.cache_info()
    await SCHEMA_WITH_LIMITS.execute(document)
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)
