"""Compiled plans over fake backends: which operations take them, the same answers as graphql-core's
executor on the same records, and a listing fetched in two rounds."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest

from domain.api_keys import Scope
from domain.channels import Channel
from domain.records import ContentRecord, PriceListEntry, StockQuant
from schema.schema import build_schema
from tests.api.test_compiled_plans import CORPUS
from tests.unit.fakes import World, product, variant

LISTING = """{ products(first: 2) { edges { node { sku title priceRange { minVariantPrice { amount } }
  availableForSale variants { sku price { amount } quantityAvailable } } } } }"""
CART = '{ cart(id: "Q2FydDpub25l") { id } }'
INTROSPECTION = "{ __schema { queryType { name } } }"

compiled_schema, reference_schema = build_schema(), build_schema(compiled=False)


@pytest.fixture
def world() -> World:
    w = World()
    w.erp.products = [product(1, "P-1", variant_ids=(10, 11)), product(2, "P-2", variant_ids=(20,))]
    w.erp.variants = [variant(10, "P-1-M", 1, "20.00"), variant(11, "P-1-L", 1, "25.00"), variant(20, "P-2-S", 2)]
    w.erp.prices = {2: [PriceListEntry(10, Decimal("18.00"))]}
    w.erp.quants = [StockQuant(10, 11, Decimal(7), Decimal(2)), StockQuant(20, 21, Decimal(3), Decimal(0))]
    w.content.records = [ContentRecord(backend="woocommerce", sku="P-1", title="Shop title")]
    return w


def run(schema: Any, world: World, query: str, channel: Channel = Channel.WEB,
        scopes: frozenset[Scope] = frozenset(Scope)) -> tuple[str, list[str], list[str]]:
    async def execute() -> tuple[str, list[str], list[str]]:
        context = world.context(channel)
        context.scopes = scopes
        result = await schema.execute(query, context_value=context)
        errors = sorted(json.dumps([e.message, e.path]) for e in result.errors or ())
        reported = sorted(json.dumps([path, str(error)]) for path, error in context.reported)
        return json.dumps(result.data), errors, reported

    return asyncio.run(execute())


def plan_of(query: str) -> Any:
    """The plan kept for the document (None: it runs on graphql-core, or never ran)."""
    plans = compiled_schema.execution_context_class.plans.plans
    return next((plan for (document, *_), plan in plans.items() if document[0] == query), None)


@pytest.mark.parametrize("channel", list(Channel))
def test_a_listing_runs_on_a_plan_and_answers_as_graphql_core_does(world, channel):
    # when the same listing runs on both executors over the same records
    ours, theirs = run(compiled_schema, world, LISTING, channel), run(reference_schema, world, LISTING, channel)
    # then the answers are the same, and the compiled one came from a plan
    assert ours == theirs
    assert json.loads(ours[0])["products"]["edges"][0]["node"]["sku"] == "P-1"
    assert plan_of(LISTING) is not None


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_document_of_the_differential_corpus_runs_on_a_plan(world, name):
    # the API's differential tests compare the two executors only if the corpus takes the plans
    run(compiled_schema, world, CORPUS[name])
    assert plan_of(CORPUS[name]) is not None


def test_failures_and_refusals_answer_as_graphql_core_does(world):
    # given a web-shop that is down and a key without stock:read
    world.content.fail()
    scopes = frozenset({Scope.CATALOG_READ})
    ours, theirs = run(compiled_schema, world, LISTING, scopes=scopes), run(reference_schema, world, LISTING, scopes=scopes)
    # then the same nulls, errors and reported failures
    assert ours == theirs
    assert any("woocommerce" in r or "down" in r for r in ours[2]) and any("stock:read" in r for r in ours[2])


@pytest.mark.parametrize("query", [CART, INTROSPECTION, 'mutation { cartCreate(input: {}) { cart { id } } }'])
def test_carts_introspection_and_mutations_stay_on_graphql_core(world, query):
    run(compiled_schema, world, query)
    assert plan_of(query) is None


def test_a_listing_asks_variants_content_prices_and_stock_in_one_round(world):
    # given backends that record which calls are in flight together
    in_flight: set[str] = set()
    together: list[frozenset[str]] = []
    for backend in (world.erp, world.content):
        original = backend._call

        def recorded(method: str, *args: object, original=original) -> None:
            original(method, *args)
            in_flight.add(method)
            together.append(frozenset(in_flight))

        backend._call = recorded  # type: ignore[method-assign]
    for name in ("variants_of", "content_by_sku", "price_list_entries", "stock_quants", "search_products"):
        for backend in (world.erp, world.content):
            method = getattr(backend, name, None)
            if method is not None:
                setattr(backend, name, _slow(method, in_flight, name))
    # when a STORE listing (ERP pricelist, ERP stock) runs on its plan
    run(compiled_schema, world, LISTING, Channel.STORE)
    # then after the page, variants, content, prices and stock were all asked before any answered
    assert {"variants_of", "content_by_sku", "price_list_entries", "stock_quants"} <= max(together, key=len)


def _slow(method: Any, in_flight: set[str], name: str) -> Any:
    async def call(*args: Any) -> Any:
        result = await method(*args)
        for _ in range(3):  # in flight for a few loop rounds, as a network call would be
            await asyncio.sleep(0)
        in_flight.discard(name)
        return result

    return call


def test_kept_plans_are_bounded_by_their_positions_not_only_their_count(world):
    # given a plan cache that may hold few positions in all
    from schema.compiled.executor import PlanCache

    schema = build_schema()
    cache = schema.execution_context_class.plans = PlanCache(schema, size=1_000, max_positions=60)
    # when distinct listings are compiled one after another (about 20 positions each)
    for n in range(6):
        run(schema, world, LISTING.replace("{ products", f"query L{n} {{ products", 1))
    # then the oldest plans went to keep the sum within the bound, and the newest is kept
    assert cache.positions <= 60 and sum(p.size for p in cache.plans.values() if p) == cache.positions
    assert 1 <= len(cache.plans) < 6 and any("L5" in str(key) for key in cache.plans)
