"""The executable schema: the per-domain Query classes merged, with the gateway's extensions."""

from __future__ import annotations

import copy
import functools
import logging
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.extensions.directives import DirectivesExtension, DirectivesExtensionSync
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from domain.errors import DomainError
from schema.carts.operations import CartMutation, CartQuery
from schema.catalog.query import CatalogQuery
from schema.compiled.executor import compile_queries
from schema.customers.profile import CustomerMutation
from schema.customers.notifications import AlertMutation
from schema.customers.query import CustomerQuery
from schema.lists.operations import ListMutation
from schema.live.subscription import Subscription
from schema.nodes import NodeQuery
from schema.catalog.types import Product, Store, Variant
from schema.directives import InContextExtension, in_context
from schema.keys.operations import KeyMutation, KeyQuery
from schema.marketplace.query import MarketplaceQuery
from schema.protection import QueryLimits, protection_extensions
from schema.scalars import SCALAR_MAP
from schema.scopes import RequiresScope
from schema.validation import CodedInputErrors, without_suggestions
from schema.webhooks.operations import WebhookMutation, WebhookQuery

if TYPE_CHECKING:
    from strawberry.types.base import StrawberryObjectDefinition
    from strawberry.types.field import StrawberryField

log = logging.getLogger("commerce_gateway.errors")
DOCUMENT_CACHE_SIZE = 1_000


@strawberry.type
class Query(NodeQuery, CatalogQuery, CartQuery, CustomerQuery, KeyQuery, MarketplaceQuery, WebhookQuery):
    pass


@strawberry.type
class Mutation(CartMutation, ListMutation, KeyMutation, CustomerMutation, AlertMutation, WebhookMutation):
    pass


class GatewaySchema(strawberry.Schema):
    def __init__(self, *args: Any, scope_checks: bool = True, **kwargs: Any) -> None:
        """`scope_checks=False`: the fields' RequiresScope checks are left out of this schema (the
        types keep them, for every other schema built from them)."""
        self.scope_checks = scope_checks
        super().__init__(*args, **kwargs)

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        fields = super().get_fields(type_definition)
        if self.scope_checks:
            return fields
        unchecked = []
        for field in fields:
            if any(isinstance(e, RequiresScope) for e in field.extensions):
                field = copy.copy(field)
                field.extensions = [e for e in field.extensions if not isinstance(e, RequiresScope)]
            unchecked.append(field)
        return unchecked

    @staticmethod
    def remove_field_suggestion(error: GraphQLError) -> None:
        """Every suggestion, not only field names (strawberry's `disable_field_suggestions`): argument,
        type, enum value and input field names too."""
        error.message = without_suggestions(error.message)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Expected errors are the client's to read; only unexpected ones are logged here (by format_error)."""
        for error in errors:
            if isinstance(error.original_error, DomainError):
                log.debug("domain error: %s", error.message)

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        """Without strawberry's field-directive runner: the only custom directive sits on operations
        (InContextExtension applies it), and the runner would make every field awaitable, which
        costs the listing about half its CPU time."""
        return [e for e in super().get_extensions(sync)
                if not isinstance(e, (DirectivesExtension, DirectivesExtensionSync))]


def build_schema(document_cache_size: int = DOCUMENT_CACHE_SIZE, limits: QueryLimits | None = None,
                 compiled: bool = True, *, guarded: bool = True) -> strawberry.Schema:
    """The gateway's schema. `limits`: what one document may ask (QueryLimits' defaults when None).
    `guarded=False`: no query limits, no cost analysis and no per-field scope checks, the baseline
    bench/unguarded_gateway.py measures them against; never to serve."""
    extensions: list[Any] = [
        CodedInputErrors,
        InContextExtension,  # before the cost limiter: a refused request is not charged
        *(protection_extensions(limits or QueryLimits()) if guarded else ()),
        functools.partial(ParserCache, maxsize=document_cache_size),  # the LRU lives at module level, shared
        functools.partial(ValidationCache, maxsize=document_cache_size),
    ]
    # no "Did you mean …?": suggestions would map the schema for anyone probing it (GatewaySchema
    # strips them from every message, not only from unknown fields)
    config = StrawberryConfig(scalar_map=SCALAR_MAP, disable_field_suggestions=True)
    schema = GatewaySchema(query=Query, mutation=Mutation, subscription=Subscription, types=[Product, Variant, Store], directives=[in_context],
                           extensions=extensions, config=config, scope_checks=guarded)
    if compiled:  # else every operation runs on graphql-core's executor (the reference the plans are tested against)
        compile_queries(schema, document_cache_size)
    return schema
