"""The linear document checks count what strawberry's limiters and the fragment-following cost walk
count, on documents where following every spread is still cheap; and a fragment bomb costs them
one step per selection."""

from __future__ import annotations

import time

import pytest
from graphql import parse, validate
from strawberry.extensions.max_aliases import create_validator as strawberry_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as strawberry_depth_rule

from schema import cost
from schema.document_rules import alias_limit, depth_limit
from schema.protection import operation_of
from schema.schema import build_schema
from tests.hostile.test_fragment_bomb import bomb

SCHEMA = build_schema(compiled=False)._schema

DOCUMENTS = [
    '{ product(sku: "a") { variants { product { variants { price { amount } } } } } }',
    '{ product(sku: "a") { ...V } } fragment V on Product { variants { product { ...W } } } '
    "fragment W on Product { sku variants { sku } }",
    '{ a: product(sku: "a") { ... on Product { b: variants { c: sku } } } d: channels { code } }',
    "{ __schema { types { fields { type { ofType { name } } } } } channels { code } }",
    "query A { ...Q ...Q } query B { channels { x: code } } fragment Q on Query { y: channels { ...C } } "
    "fragment C on Channel { z: code }",
    bomb(6, "a: channels { b: code }"),
]


def messages(document: str, rule: type) -> list[str]:
    return sorted(e.message for e in validate(SCHEMA, parse(document), [rule]))


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 6])
def test_depth_and_aliases_are_counted_as_strawberry_counts_them(document, limit):
    refused_by_depth = bool(messages(document, strawberry_depth_rule(limit, should_ignore=None)))
    assert bool(messages(document, depth_limit(limit))) == refused_by_depth
    assert messages(document, alias_limit(limit)) == messages(document, strawberry_alias_rule(limit))


def estimate(document: str) -> cost.Estimate:
    parsed = parse(document)
    return cost.estimate(SCHEMA, parsed, operation_of(parsed, None), None)


def test_a_fragment_costs_what_it_costs_inlined_under_each_page_size():
    # given fragments spread at two page sizes, and the same document with the fragments written out
    fragments = "fragment P on Product { variants { sku } ...Q } fragment Q on Product { priceRange { max { amount } } }"
    spread = f'{{ products(first: 3) {{ nodes {{ ...P ...P }} }} product(sku: "a") {{ ...P }} }} {fragments}'
    written = ('{ products(first: 3) { nodes { variants { sku } priceRange { max { amount } } '
               'variants { sku } priceRange { max { amount } } } } '
               'product(sku: "a") { variants { sku } priceRange { max { amount } } } }')
    # then (each variant 1, 10 assumed; a price range 1, its max a value)
    assert estimate(spread).requested == estimate(written).requested == 1 + 3 * (1 + 2 * (10 + 1)) + 1 + 10 + 1
    assert estimate(spread).touched == estimate(written).touched


def test_a_fragment_bomb_costs_each_check_one_step_per_selection():
    document = parse(bomb(60, "a: channels { b: code }"))
    started = time.perf_counter()
    depth_errors = validate(SCHEMA, document, [depth_limit(12)])
    alias_errors = validate(SCHEMA, document, [alias_limit(30)])
    figures = cost.estimate(SCHEMA, document, operation_of(document, None), None)
    assert time.perf_counter() - started < 0.5
    assert not depth_errors
    assert [e.message for e in alias_errors] == [f"{2 ** 61} aliases found. Allowed: 30"]
    assert figures.requested == 2 ** 60 * 10
