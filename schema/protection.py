"""Limits on what one document may ask, checked before anything runs: depth, aliases, tokens,
directives and cost (with the caller's budget). Introspection fields do not count towards depth.

The extensions are classes that take their limits in the constructor, as strawberry's own do
(`MaxTokensLimiter(max_token_count=…)`); a schema is given factories of them, so that each
request gets its own instance:

    extensions=[functools.partial(ValidationLimits, QueryLimits(max_depth=8)),
                functools.partial(CostLimiter, max_cost=2_000)]
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    GraphQLError,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import MaxTokensLimiter, SchemaExtension

from domain.errors import Forbidden, TooCostly
from resolvers.context import RequestContext
from schema import cost
from schema.document_rules import BoundedOverlaps, alias_limit, depth_limit


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_directives: int = 20
    max_cost: int = 10_000


DEFAULT_LIMITS = QueryLimits()


class MaxDirectives(ValidationRule):
    """Refuses a document with more than `max_directives` directives (a subclass sets the figure:
    `directive_limit`)."""

    max_directives = DEFAULT_LIMITS.max_directives

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.count += 1
        if self.count == self.max_directives + 1:
            self.report_error(GraphQLError(f"The document uses more than {self.max_directives} directives.", node))


@functools.cache
def directive_limit(max_directives: int) -> type[ValidationRule]:
    """The MaxDirectives rule for `max_directives`: one class per figure, made once."""
    return type("MaxDirectives", (MaxDirectives,), {"max_directives": max_directives})


@functools.cache
def limit_rules(max_depth: int, max_aliases: int, max_directives: int) -> tuple[type[ValidationRule], ...]:
    """The validation rules of these limits, made once per set of figures: validation is cached per
    (document, rules), so new rule classes per request (as strawberry's QueryDepthLimiter and
    MaxAliasesLimiter make them) would miss the cache every time (4 ms of the listing's validation).
    Depth and aliases are counted in linear time (schema/document_rules.py), not strawberry's way,
    which follows every fragment spread anew."""
    return (depth_limit(max_depth), alias_limit(max_aliases), directive_limit(max_directives))


class ValidationLimits(SchemaExtension):
    """Adds the depth, alias and directive limits of `limits` to the validation of every document,
    and bounds the work of graphql-core's overlapping-fields rule (BoundedOverlaps)."""

    def __init__(self, limits: QueryLimits = DEFAULT_LIMITS) -> None:
        self.rules = limit_rules(limits.max_depth, limits.max_aliases, limits.max_directives)

    def on_operation(self) -> Iterator[None]:
        rules = self.execution_context.validation_rules
        self.execution_context.validation_rules = (
            *(BoundedOverlaps if rule is OverlappingFieldsCanBeMergedRule else rule for rule in rules), *self.rules)
        yield


class CostLimiter(SchemaExtension):
    """Refuses an operation above `max_cost` or the caller's budget before any resolver runs, and
    settles the charge to the actual cost afterwards. Refuses introspection where it is off.
    Operations run without a gateway RequestContext are neither priced nor refused."""

    def __init__(self, max_cost: int = DEFAULT_LIMITS.max_cost) -> None:
        self.max_cost = max_cost

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        context = ec.context
        operation = operation_of(ec.graphql_document, ec.operation_name)
        if not isinstance(context, RequestContext) or operation is None:
            yield
            return
        figures = cost.estimate(ec.schema._schema, ec.graphql_document, operation, ec.variables)
        context.cost_requested, context.touched = figures.requested, figures.touched
        if figures.introspection and not context.introspection:
            raise Forbidden("Introspection is off for this API key.")
        if figures.requested > self.max_cost:
            raise TooCostly(f"The operation's cost is {figures.requested} points; at most {self.max_cost} "
                            "are allowed per operation. Ask for fewer items (`first`) or fewer fields.")
        if context.meter is not None:
            await context.meter.charge(figures.requested)
        yield
        context.cost_actual = cost.actual(figures, context.objects_counted, ec.result)
        if context.meter is not None:
            await context.meter.settle(context.cost_actual)


def protection_extensions(limits: QueryLimits) -> list[Callable[[], SchemaExtension]]:
    """Factories of the extensions that hold a schema to `limits`: tokens, depth, aliases,
    directives, then cost."""
    return [
        functools.partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        functools.partial(ValidationLimits, limits),
        functools.partial(CostLimiter, max_cost=limits.max_cost),
    ]


def operation_of(document: object, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the named one, or the only one."""
    definitions = [d for d in getattr(document, "definitions", ()) if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return definitions[0] if len(definitions) == 1 else None
    return next((d for d in definitions if d.name and d.name.value == name), None)
