"""A field's arguments as its resolver takes them: coerced by graphql-core (defaults, variables),
then converted by strawberry (input objects, enums, python names), as strawberry's own resolver
wrapper does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql.execution.values import get_argument_values
from strawberry.types.arguments import convert_arguments

if TYPE_CHECKING:
    from graphql import FieldNode
    from graphql.execution.values import VariableValues

    from schema.compiled.plan import FieldPlan


def field_kwargs(strawberry_schema: Any, plan: FieldPlan, node: FieldNode, variables: VariableValues) -> dict[str, Any]:
    definition = plan.definition
    assert definition is not None, "a field with arguments is a strawberry field"
    coerced = get_argument_values(plan.graphql_field, node, variables) \
        if plan.graphql_field.args or node.arguments else {}
    kwargs = convert_arguments(coerced, definition.arguments, scalar_registry=strawberry_schema.schema_converter
                               .scalar_registry, config=strawberry_schema.config)
    for extension in definition.extensions:
        kwargs = extension.map_arguments(kwargs)
    return kwargs
