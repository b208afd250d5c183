"""Compiling a validated query into a plan: for every position of the answer, what to call and how
to complete its value, decided once per document instead of once per field and object.

The plan is built with graphql-core's own field collection (so fragments, inline fragments,
`@skip`/`@include` and the order of keys are exactly the executor's) and the schema's strawberry
field definitions (so each field runs the same resolver). Scope checks are decided here too: a
field outside the caller's scopes becomes a refusal in the plan, and the others run unchecked.
A document the plan cannot express exactly returns None and runs on graphql-core's executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.language import Visitor, visit
from strawberry.types.base import StrawberryList, StrawberryOptional

from domain.api_keys import Scope
from schema.catalog.prefetch import warmer_for
from schema.compiled.arguments import field_kwargs
from schema.compiled.shapes import (
    ABSTRACT,
    LEAF,
    LIST,
    LIST_REFUSAL,
    NON_NULL,
    OBJECT,
    OPTIONAL_REFUSAL,
    RAISED_REFUSAL,
    FieldPlan,
    Shape,
)
from schema.scopes import RequiresScope, missing_scope

if TYPE_CHECKING:
    from graphql import GraphQLOutputType, OperationDefinitionNode
    from graphql.execution.values import VariableValues
    from strawberry.types.field import StrawberryField

# A plan is kept (LRU, per document and scope set): fragments spread at several levels multiply
# positions, so a plan past this many runs on graphql-core instead, which keeps nothing. The
# 50-product listing's plan has 26.
MAX_PLAN_FIELDS = 2_000
# Root fields whose answers the plan shapes; everything else (carts, keys, introspection, and every
# mutation, which must run in order) stays on graphql-core's executor.
COMPILED_ROOT_FIELDS = frozenset({"product", "products", "stores", "channels", "node", "nodes", "catalogChanges"})

class NotCompiled(Exception):
    """The document uses something the plan does not express; graphql-core runs it."""


@dataclass(slots=True)
class Plan:
    root: Shape
    directive_variables: tuple[str, ...]
    size: int = 0  # positions (field plans) in it


def directive_variables(operation: OperationDefinitionNode, fragments: dict[str, FragmentDetails]) -> tuple[str, ...]:
    """The variables that `@skip`/`@include` read: the plan depends on their values, not on others'."""
    names: set[str] = set()

    class Finder(Visitor):
        def enter_directive(self, node: Any, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    visit(operation, Finder())
    for details in fragments.values():
        visit(details.definition, Finder())
    return tuple(sorted(names))


def compile_plan(schema: GraphQLSchema, strawberry_schema: Any, operation: OperationDefinitionNode,
                 fragments: dict[str, FragmentDetails], variables: VariableValues,
                 scopes: frozenset[Scope]) -> Plan:
    if operation.operation is not OperationType.QUERY:
        raise NotCompiled("not a query")
    root_type = schema.query_type
    if root_type is None:
        raise NotCompiled("no query type")
    collected = collect_fields(schema, fragments, variables, root_type, operation)
    compiler = _Compiler(schema, strawberry_schema, fragments, variables, operation, scopes)
    grouped = collected.grouped_field_set
    for details in grouped.values():
        name = details[0].node.name.value
        if name not in COMPILED_ROOT_FIELDS and name != "__typename":
            raise NotCompiled(f"root field {name}")
    root = Shape(OBJECT, fields=compiler.fields(root_type, grouped), type_name=root_type.name)
    return Plan(root, directive_variables(operation, fragments), compiler.size)


class _Compiler:
    def __init__(self, schema: GraphQLSchema, strawberry_schema: Any, fragments: dict[str, FragmentDetails],
                 variables: VariableValues, operation: OperationDefinitionNode, scopes: frozenset[Scope]) -> None:
        self.schema = schema
        self.strawberry_schema = strawberry_schema
        self.fragments = fragments
        self.variables = variables
        self.operation = operation
        self.scopes = scopes
        self.size = 0

    def fields(self, parent: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> list[FieldPlan]:
        return [self.field(parent, key, details) for key, details in grouped.items()
                if details[0].node.name.value == "__typename" or details[0].node.name.value in parent.fields]

    def field(self, parent: GraphQLObjectType, key: str, details: list[FieldDetails]) -> FieldPlan:
        self.size += 1
        if self.size > MAX_PLAN_FIELDS:
            raise NotCompiled(f"more than {MAX_PLAN_FIELDS} positions")
        if any(d.fragment_variable_values is not None or d.defer_usage is not None for d in details):
            raise NotCompiled("fragment variables or @defer")
        node = details[0].node
        name = node.name.value
        nodes = [d.node for d in details]
        if name == "__typename":
            return FieldPlan(key=key, name=name, parent_type=parent.name, nodes=nodes)
        if name.startswith("__"):
            raise NotCompiled("introspection")
        graphql_field = parent.fields[name]
        definition: StrawberryField | None = (graphql_field.extensions or {}).get("strawberry-definition")
        if definition is None:
            raise NotCompiled(f"{parent.name}.{name} has no strawberry definition")
        plan = FieldPlan(key=key, name=name, parent_type=parent.name, nodes=nodes, definition=definition,
                         non_null=is_non_null_type(graphql_field.type), python_name=definition.python_name,
                         graphql_field=graphql_field, return_type=definition.type)
        self.checks(plan, definition)
        resolver = definition.base_resolver
        if resolver is None:
            plan.basic = True
        else:
            plan.resolver = resolver.wrapped_func
            plan.passes_self = resolver.self_parameter is not None
            plan.info_name = resolver.info_parameter.name if resolver.info_parameter else None
            if resolver.parent_parameter is not None or resolver.root_parameter is not None:
                raise NotCompiled("resolver takes the parent or root by name")
        if not _has_variables(node):
            plan.kwargs = self.static_kwargs(plan, node)
        plan.shape = self.shape(graphql_field.type, details)
        plan.warm = warmer_for(plan.shape)
        plan.leaf = _plain_leaf(plan)
        return plan

    def checks(self, plan: FieldPlan, definition: StrawberryField) -> None:
        for extension in definition.extensions:
            if not isinstance(extension, RequiresScope):
                raise NotCompiled(f"field extension {type(extension).__name__}")
            if self.scopes.isdisjoint(extension.any_of):
                plan.refusal_error = missing_scope(f"`{plan.name}`", extension.any_of)
                returns = definition.type
                plan.refusal = OPTIONAL_REFUSAL if isinstance(returns, StrawberryOptional) else \
                    LIST_REFUSAL if isinstance(returns, StrawberryList) else RAISED_REFUSAL

    def static_kwargs(self, plan: FieldPlan, node: FieldNode) -> dict[str, Any] | None:
        try:
            return field_kwargs(self.strawberry_schema, plan, node, self.variables)
        except Exception:  # an argument error is the field's error, at run time, as graphql-core reports it
            return None

    def shape(self, type_: GraphQLOutputType, details: list[FieldDetails]) -> Shape:
        if is_non_null_type(type_):
            return Shape(NON_NULL, inner=self.shape(type_.of_type, details))
        if is_list_type(type_):
            return Shape(LIST, inner=self.shape(type_.of_type, details))
        if is_leaf_type(type_):
            return Shape(LEAF, coerce=type_.coerce_output_value)
        if is_object_type(type_):
            return self.object_shape(type_, details)
        if is_abstract_type(type_):
            by_type = {possible.name: self.object_shape(possible, details)
                       for possible in self.schema.get_possible_types(type_)}
            return Shape(ABSTRACT, by_type=by_type, abstract=type_)
        raise NotCompiled(f"type {type_}")

    def object_shape(self, type_: GraphQLObjectType, details: list[FieldDetails]) -> Shape:
        collected = collect_subfields(self.schema, self.fragments, self.variables, self.operation, type_, details)
        return Shape(OBJECT, fields=self.fields(type_, collected.grouped_field_set), type_name=type_.name)


def _plain_leaf(plan: FieldPlan) -> Any:
    """The leaf coercion of a field that needs nothing but its source: no scope refusal, no Info, no
    arguments, and a resolver (if any) that is a plain function (a coroutine function may wait)."""
    shape = plan.shape
    inner = shape.inner if shape is not None and shape.kind == NON_NULL else shape
    if inner is None or inner.kind != LEAF or plan.refusal is not None:
        return None
    if not plan.basic and (plan.info_name is not None or not plan.passes_self or plan.kwargs != {}
                           or plan.definition is None or plan.definition.is_async):
        return None
    return inner.coerce


def _has_variables(node: FieldNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Finder())
    return found


