"""The protection extensions are classes that take their limits in the constructor: built directly
into a schema of their own, each one holds it to its figure; and a schema built unguarded leaves
out the limits and the scope checks without touching the schema built beside it."""

from __future__ import annotations

import functools

import strawberry

from domain.errors import Forbidden, TooCostly
from schema.protection import CostLimiter, QueryLimits, ValidationLimits
from schema.schema import build_schema
from tests.unit.fakes import World


@strawberry.type
class Node:
    name: str = "n"

    @strawberry.field
    def child(self) -> Node:
        return Node()

    @strawberry.field
    def children(self) -> list[Node]:
        return [Node(), Node()]


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> Node:
        return Node()


DEEP = "{ root { child { child { name } } } }"  # `name` at depth 3
ALIASED = "{ a: root { name } b: root { name } }"
DIRECTED = "{ root @include(if: true) { name @skip(if: false) } }"
LIST = "{ root { children { name } } }"  # root 1 + 10 assumed children × 1 = 11 points
INTROSPECTION = "{ __schema { queryType { name } } }"


class Meter:
    def __init__(self) -> None:
        self.charged: list[int] = []
        self.settled: list[int] = []

    async def charge(self, requested: int) -> None:
        self.charged.append(requested)

    async def settle(self, actual: int) -> None:
        self.settled.append(actual)


def schema_with(*extensions: object) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=list(extensions))


def messages(result: strawberry.types.ExecutionResult) -> list[str]:
    return [e.message for e in result.errors or ()]


async def test_validation_limits_hold_a_schema_to_the_figures_they_are_given():
    # given
    strict = schema_with(functools.partial(ValidationLimits, QueryLimits(max_depth=2, max_aliases=1,
                                                                         max_directives=1)))
    loose = schema_with(functools.partial(ValidationLimits, QueryLimits(max_depth=3, max_aliases=2,
                                                                        max_directives=2)))
    # when / then
    assert "exceeds maximum operation depth of 2" in " ".join(messages(await strict.execute(DEEP)))
    assert "2 aliases found. Allowed: 1" in " ".join(messages(await strict.execute(ALIASED)))
    assert messages(await strict.execute(DIRECTED)) == ["The document uses more than 1 directives."]
    for document in (DEEP, ALIASED, DIRECTED):
        assert messages(await loose.execute(document)) == [], document


async def test_the_cost_limiter_refuses_above_its_maximum_and_charges_the_callers_meter():
    # given
    cheap, generous = schema_with(functools.partial(CostLimiter, max_cost=10)), schema_with(CostLimiter)
    refused_context, answered_context = World().context(), World().context()
    answered_context.meter = meter = Meter()
    # when
    refused = await cheap.execute(LIST, context_value=refused_context)
    answered = await generous.execute(LIST, context_value=answered_context)
    # then
    assert refused.data is None and isinstance(refused.errors[0].original_error, TooCostly)
    assert "at most 10 are allowed" in refused.errors[0].message
    assert answered.errors is None and answered.data == {"root": {"children": [{"name": "n"}, {"name": "n"}]}}
    assert meter.charged == [11] and meter.settled == [3]  # settled to the objects answered
    assert (answered_context.cost_requested, answered_context.cost_actual) == (11, 3)


async def test_the_cost_limiter_refuses_introspection_where_the_context_says_it_is_off():
    # given
    context = World().context()
    context.introspection = False
    # when
    result = await schema_with(CostLimiter).execute(INTROSPECTION, context_value=context)
    # then
    assert isinstance(result.errors[0].original_error, Forbidden)


async def test_outside_the_gateway_the_cost_limiter_neither_prices_nor_refuses():
    result = await schema_with(functools.partial(CostLimiter, max_cost=1)).execute(LIST, context_value=None)
    assert result.errors is None


async def test_an_unguarded_schema_has_no_limits_and_no_scope_checks_and_leaves_the_guarded_one_alone():
    # given a context whose key has no scopes, and a document above the default depth limit
    unguarded, guarded = build_schema(compiled=False, guarded=False), build_schema(compiled=False)
    deep = "{ products(first: 1) { nodes { variants { product { variants { product { variants { product " \
           "{ variants { product { variants { product { variants { sku } } } } } } } } } } } } } }"
    channels = "{ channels { code } }"
    # when
    open_channels = await unguarded.execute(channels, context_value=World().context())
    checked_context = World().context()
    checked_channels = await guarded.execute(channels, context_value=checked_context)
    open_deep = await unguarded.execute(deep, context_value=World().context())
    refused_deep = await guarded.execute(deep, context_value=World().context())
    # then
    assert open_channels.errors is None and len(open_channels.data["channels"]) == 5
    assert checked_channels.data == {"channels": []}
    assert [str(e) for _, e in checked_context.reported] == [
        "`channels` needs the scope catalog:read, which this API key does not have."]
    assert not any("depth" in m for m in messages(open_deep))
    assert any("exceeds maximum operation depth of 12" in m for m in messages(refused_deep))
