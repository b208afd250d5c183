"""Compiled plans answer exactly as graphql-core's executor does: the same documents, sent to a
gateway on compiled plans and to one with them off (server.compiled_queries = false), over the same
backends, give byte-for-byte the same data, the same errors (as a set: graphql-core's order
follows its task scheduling) and the same cost. Stock `asOf` times are left out: each gateway
reads stock at its own moment."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import hypothesis
import hypothesis_graphql
import pytest
from graphql import StringValueNode
from hypothesis import strategies as st

from domain.api_keys import Scope
from domain.channels import Channel
from schema.schema import build_schema
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, served_gateway

EVERY_PRODUCT_FIELD = """
  __typename id sku gtin title description brand categories images { url altText } attributes { key value }
  priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
  availableForSale totalInventory updatedAt sources { field backend }
  storeAvailability(first: 2, near: {latitude: 48.14, longitude: 11.58}) {
    store { id name distanceKm address { street city zip countryCode } location { latitude longitude } }
    quantity available pickUpTime }
  variants { __typename id sku gtin title selectedOptions { name value } price { amount currencyCode }
    compareAtPrice { amount } quantityAvailable stock { quantity asOf source } availableForSale updatedAt
    storeAvailability(first: 1) { store { name } quantity } product { sku } }
"""
LISTING = """{ products(first: 50) { edges { node {
  sku title brand priceRange { minVariantPrice { amount currencyCode } }
  availableForSale totalInventory
  variants { sku price { amount currencyCode } quantityAvailable stock { quantity asOf } }
  storeAvailability(first: 3, near: {latitude: 52.52, longitude: 13.40}) { store { name } quantity available }
} } } }"""
CORPUS = {
    "listing": LISTING,
    "every field of a product": '{ product(sku: "CG-000003") {' + EVERY_PRODUCT_FIELD + "} }",
    "every field of a page": "{ products(first: 4, sortKey: TITLE, reverse: true) { totalCount pageInfo { "
                             "hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node {"
                             + EVERY_PRODUCT_FIELD + "} } nodes { sku } } }",
    "aliases": '{ a: products(first: 3) { e: edges { n: node { s: sku t: title v: variants { p: price { a: amount } '
               'q: price { currencyCode } } } } } b: product(sku: "CG-000002") { sku x: sku } c: channels { code } }',
    "fragments": """fragment Money on Money { amount currencyCode }
        fragment Card on Product { sku title ...Price variants { ... on Variant { sku price { ...Money } } } }
        fragment Price on Product { priceRange { minVariantPrice { ...Money } } }
        { products(first: 3, query: "a") { nodes { ...Card ... on Product { brand sku } } } }""",
    "by gtin, by id, unknown": '{ g: product(gtin: "4006381000010") { sku } i: product(id: "UHJvZHVjdDpDRy0wMDAwMDE=") '
                               '{ sku } u: product(sku: "NO-SUCH-SKU") { sku } }',
    "filters": '{ products(first: 5, filter: {availableForSale: true, price: {min: "10", max: "80"}}, sortKey: PRICE) '
               "{ nodes { sku availableForSale priceRange { minVariantPrice { amount } } } } }",
    "stores and channels": "{ stores(first: 3, near: {latitude: 50.11, longitude: 8.68}) { __typename id name "
                           "distanceKm address { city } } channels { code name currencyCode priceSource stockSource } }",
    "bad first": "{ products(first: 0) { nodes { sku } } }",
    "two keys for one product": '{ product(sku: "CG-000001", gtin: "1") { sku } }',
    "bad store availability": '{ product(sku: "CG-000001") { sku storeAvailability(first: 500) { quantity } } }',
    "nodes": '{ nodes(ids: ["UHJvZHVjdDpDRy0wMDAwMDE=", "nonsense", "VmFyaWFudDpDRy0wMDAwMDEtMDE=", '
             '"U3RvcmU6V0gtQkVS", "Q2FydDpub3BlCg=="]) { __typename id ... on Product { sku title } '
             "... on Variant { sku price { amount } } ... on Store { name } } "
             'node(id: "UHJvZHVjdDpDRy0wMDAwMDI=") { id ... on Product { sku variants { sku } } } }',
    "delta sync": "{ catalogChanges(first: 4) { nodes { sku removed aspects changedAt product { sku title "
                  "variants { sku price { amount } } } } pageInfo { hasNextPage } } }",
    "variant back to product": '{ product(sku: "CG-000004") { variants { product { sku variants { sku } } } } }',
}
SWITCHES = """query($skip: Boolean!, $include: Boolean!, $n: Int!, $near: GeoPointInput) {
  products(first: $n) { nodes { sku title @skip(if: $skip) brand @include(if: $include)
    variants @include(if: $include) { sku } storeAvailability(first: 2, near: $near) { store { name } } } } }"""
CHANNELS = ["WEB", "APP", "STORE", "CALL_CENTER", "MARKETPLACE"]
AS_OF = re.compile(r'"asOf": "[^"]*"')
REQUEST_ID = re.compile(r'"requestId": "[^"]*"|quote request id [\w-]+')


@pytest.fixture(scope="module")
def reference(simulators, mongo_url) -> Iterator[str]:
    with served_gateway(simulators, mongo_url, CGW_SERVER__COMPILED_QUERIES="false") as url:
        yield url


@pytest.fixture(scope="module")
def pair(gateway, reference, api_key) -> Iterator[tuple[GraphQLClient, GraphQLClient]]:
    compiled, plain = GraphQLClient(gateway, api_key), GraphQLClient(reference, api_key)
    yield compiled, plain
    compiled.http.close()
    plain.http.close()


def _comparable(response) -> tuple[int, str, list[str], dict]:
    body = response.json()
    cost = (body.get("extensions") or {}).get("cost") or {}
    data = AS_OF.sub('"asOf": ""', json.dumps(body.get("data", "absent")))
    errors = sorted(REQUEST_ID.sub("", json.dumps(e, sort_keys=True)) for e in body.get("errors", ()))
    return response.status_code, data, errors, {k: cost.get(k) for k in ("requested", "actual")}


def assert_same_answer(pair, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    compiled, plain = pair
    ours = compiled.post(query, variables, headers)
    theirs = plain.post(query, variables, headers)
    assert _comparable(ours) == _comparable(theirs), f"{query}\n{ours.text[:1500]}\n---\n{theirs.text[:1500]}"
    return ours.json()


@pytest.mark.parametrize("name", list(CORPUS))
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_document_in_each_channel_answers_as_graphql_core_does(pair, name, channel):
    # given a document of the corpus, in a channel
    query = f"query @inContext(channel: {channel}) " + CORPUS[name].lstrip().removeprefix("query")
    if CORPUS[name].lstrip().startswith("fragment"):
        query = CORPUS[name].replace("{ products", f"query @inContext(channel: {channel}) {{ products", 1)
    # when both gateways answer, then the answers are the same
    assert_same_answer(pair, query)


def test_the_corpus_exercises_data_and_errors(pair):
    # the differential tests above would pass vacuously if every answer were an error
    answer = assert_same_answer(pair, CORPUS["every field of a page"])
    assert len(answer["data"]["products"]["edges"]) == 4 and "errors" not in answer
    assert "errors" in assert_same_answer(pair, CORPUS["nodes"])
    assert assert_same_answer(pair, CORPUS["bad first"])["data"] is None


@pytest.mark.parametrize(("skip", "include"), [(False, False), (False, True), (True, False), (True, True)])
def test_skip_and_include_with_variables_answer_as_graphql_core_does(pair, skip, include):
    variables = {"skip": skip, "include": include, "n": 3, "near": {"latitude": 52.5, "longitude": 13.4}}
    answer = assert_same_answer(pair, SWITCHES, variables)
    node = answer["data"]["products"]["nodes"][0]
    assert ("title" in node) is not skip and ("brand" in node) is include


def test_bad_variables_answer_as_graphql_core_does(pair):
    assert_same_answer(pair, SWITCHES, {"skip": True, "include": True, "n": 500})
    assert_same_answer(pair, SWITCHES, {"skip": "yes", "include": True, "n": 3})


@pytest.mark.parametrize("backend", ["woocommerce", "medusa", "odoo", "ebay"])
@pytest.mark.parametrize("channel", ["WEB", "APP", "MARKETPLACE"])
def test_partial_failures_answer_as_graphql_core_does(pair, simulators, backend, channel):
    # given a backend that is down
    simulators[backend].faults(down=True)
    # then the nulls, the errors at their paths and the backends they name are the same
    query = f"query @inContext(channel: {channel}) " + CORPUS["every field of a page"]
    answer = assert_same_answer(pair, query)
    read_in_channel = backend in ("woocommerce", "odoo") or (backend, channel) in {("medusa", "APP"),
                                                                                   ("ebay", "MARKETPLACE")}
    if read_in_channel:
        assert answer.get("errors"), "the fault must show in the answer"


@pytest.mark.parametrize("scopes", [("catalog:read",), ("catalog:read", "stock:read"), ("cart:write",)])
def test_forbidden_fields_answer_as_graphql_core_does(gateway, reference, mongo_url, scopes):
    # given a key with fewer scopes (the plans are compiled per scope set)
    key = issue_key(mongo_url, "frontend", name="scoped", scopes=tuple(Scope(s) for s in scopes), **UNLIMITED)
    clients = GraphQLClient(gateway, key), GraphQLClient(reference, key)
    try:
        # when it asks for stock, then both answer FORBIDDEN at the same paths, or refuse alike
        answer = assert_same_answer(clients, CORPUS["every field of a page"])
        assert_same_answer(clients, CORPUS["nodes"])
        if scopes == ("catalog:read",):
            assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    finally:
        for client in clients:
            client.http.close()


def test_a_bound_marketplace_key_answers_as_graphql_core_does(gateway, reference, mongo_url):
    key = issue_key(mongo_url, "marketplace", name="bound", channel=Channel.MARKETPLACE, **UNLIMITED)
    clients = GraphQLClient(gateway, key), GraphQLClient(reference, key)
    try:
        assert_same_answer(clients, LISTING)
        assert_same_answer(clients, "query @inContext(channel: WEB) " + LISTING)
    finally:
        for client in clients:
            client.http.close()


CATALOG_ROOTS = ["product", "products", "stores", "channels", "node", "nodes"]
SCALARS = {
    "CurrencyCode": st.sampled_from(["EUR", "usd", "X"]).map(lambda code: StringValueNode(value=code)),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(lambda d: StringValueNode(value=str(d))),
}


@pytest.mark.slow
def test_generated_catalog_documents_answer_as_graphql_core_does(pair):
    sdl = build_schema().as_str()
    documents = hypothesis_graphql.queries(sdl, fields=CATALOG_ROOTS, custom_scalars=SCALARS)

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(documents)
    def same(document: str) -> None:
        assert_same_answer(pair, document)

    same()
