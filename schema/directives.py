"""`@inContext(channel:, currency:, store:)` on an operation, and the `X-Channel` fallback.

strawberry runs resolvers only for field directives, so an extension reads the
operation's directive before execution and applies it to the request context. It also
names the operation in the context (type and name), for the request's metrics, and runs a
query within its backend deadline (set by admission control from the request's deadline).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import strawberry
from graphql import OperationType, get_directive_values
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.directive import DirectiveLocation

from domain.channels import Channel
from domain.deadlines import hold_to
from domain.errors import BadUserInput
from resolvers import global_ids
from resolvers.context import RequestContext
from schema.catalog.enums import ChannelCode
from schema.protection import operation_of
from schema.scalars import CurrencyCode

DIRECTIVE_NAME = "inContext"


@strawberry.directive(
    locations=[DirectiveLocation.QUERY, DirectiveLocation.MUTATION],
    name=DIRECTIVE_NAME,
    description="Selects the channel (and so the prices and stock) an operation sees. "
                "A channel bound to the API key wins.",
)
def in_context(channel: ChannelCode | None = None, currency: CurrencyCode | None = None,
               store: strawberry.ID | None = None,
               max_stock_age: Annotated[int | None, strawberry.argument(
                   description="Stock figures older than this many seconds are read live from the ERP; "
                               "0: every figure live.")] = None) -> None:
    """Applied by InContextExtension before execution."""


class InContextExtension(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        context = ec.context
        operation = operation_of(ec.graphql_document, ec.operation_name)
        if isinstance(context, RequestContext) and context.rejected is not None:
            raise context.rejected
        if isinstance(context, RequestContext) and operation is not None:  # named for the request's metrics
            context.operation_type = operation.operation.value
            context.operation_name = operation.name.value if operation.name else None
        if isinstance(context, RequestContext) and operation is not None \
                and operation.operation is OperationType.MUTATION:
            context.live_stock = True  # a cart change or a checkout checks stock as it is now
        if isinstance(context, RequestContext) and operation is not None and any(
                d.name.value == DIRECTIVE_NAME for d in operation.directives or ()):
            graphql_schema = ec.schema._schema
            definition = graphql_schema.get_directive(DIRECTIVE_NAME)
            variables = get_variable_values(graphql_schema, operation.variable_definitions or (),
                                            ec.variables or {})
            # wrong variables are reported by execution itself, with their own message
            values = get_directive_values(definition, operation, variables) \
                if definition and not isinstance(variables, list) else None
            if values:
                channel = values.get("channel")
                raw = getattr(channel, "value", channel)
                store = values.get("store")
                context.select(Channel(raw) if raw else None, values.get("currency"),
                               await _store_code(context, store) if store else None)
                max_age = values.get("maxStockAge")
                if max_age is not None:
                    if max_age < 0:
                        raise BadUserInput("maxStockAge: seconds, 0 or more")
                    context.max_stock_age = max_age
        if isinstance(context, RequestContext) and context.operation_type != OperationType.MUTATION.value:
            hold_to(context.backend_deadline)  # for this request's task; a mutation's calls run to their timeouts
        yield


async def _store_code(context: RequestContext, store_id: str) -> str:
    """The code of the pickup store `store_id` names; BAD_USER_INPUT for any other ID, so that an
    unknown store is not read as a store holding nothing."""
    kind, key = global_ids.decode(store_id)
    if kind != "Store":
        raise BadUserInput(f"`store` takes a Store ID, not the ID of a {kind}")
    if await context.services.directory.pickup_store(key) is None:
        raise BadUserInput("`store` is not the ID of a pickup store; `stores(first:)` lists them")
    return key

