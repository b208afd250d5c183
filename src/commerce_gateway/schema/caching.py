"""What an operation touches, for HTTP caching: content, prices, stock, or something private to a
customer (carts, customers, orders, keys). Read from the document, like the cost, so it is the
same for every answer to the same query."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from commerce_gateway.resolvers.context import RequestContext
from commerce_gateway.schema.protection import operation_of


class Touched(StrEnum):
    CONTENT = "content"
    PRICE = "price"
    STOCK = "stock"
    PRIVATE = "private"


PRIVATE_TYPES = frozenset({"Cart", "CartLine", "Customer", "Order", "ApiKey", "ApiKeyEvent"})
FIELDS = {
    ("Product", "priceRange"): Touched.PRICE,
    ("Variant", "price"): Touched.PRICE,
    ("Variant", "compareAtPrice"): Touched.PRICE,
    ("Product", "totalInventory"): Touched.STOCK,
    ("Product", "availableForSale"): Touched.STOCK,
    ("Product", "storeAvailability"): Touched.STOCK,
    ("Variant", "quantityAvailable"): Touched.STOCK,
    ("Variant", "stock"): Touched.STOCK,
    ("Variant", "availableForSale"): Touched.STOCK,
    ("Variant", "storeAvailability"): Touched.STOCK,
}


def touched(schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode) -> set[Touched]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    found: set[Touched] = {Touched.CONTENT}
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode | None, parent: Any) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
                    continue
                definition = parent.fields.get(selection.name.value)
                if definition is None:
                    continue
                if kind := FIELDS.get((parent.name, selection.name.value)):
                    found.add(kind)
                named = get_named_type(definition.type)
                if named.name in PRIVATE_TYPES:
                    found.add(Touched.PRIVATE)
                walk(selection.selection_set, named)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                if target is not None and target.name in PRIVATE_TYPES:
                    found.add(Touched.PRIVATE)
                walk(selection.selection_set, target or parent)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    seen.add(selection.name.value)
                    target = schema.get_type(fragment.type_condition.name.value)
                    if target is not None and target.name in PRIVATE_TYPES:
                        found.add(Touched.PRIVATE)
                    walk(fragment.selection_set, target or parent)

    walk(operation.selection_set, schema.get_root_type(operation.operation))
    return found


class TouchedFields(SchemaExtension):
    """Records what a cacheable (GET) operation touches, for its Cache-Control header."""

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        context = ec.context
        if isinstance(context, RequestContext) and context.cacheable:
            operation = operation_of(ec.graphql_document, ec.operation_name)
            if operation is not None:
                context.touched = frozenset(touched(ec.schema._schema, ec.graphql_document, operation))
        yield
