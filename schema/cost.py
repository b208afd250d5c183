"""The cost of an operation: a static estimate before it runs, the actual figure after.

Requested (static) cost, from the document, the schema and the variables:
- every field that returns an object costs 1; scalars, enums and `__typename` cost 0;
- a list costs its item count times (1 + its selection's cost) for objects, 0 for scalars; the
  count is the field's `first`/`last` argument (given, as a literal or a variable's value or
  default, an integral float such as 100.0 counting as the Int it is coerced to; else the schema
  default; at most `MAX_PAGE`, 100, since more is refused anyway), else the length of a list
  argument (`nodes(ids:)` takes as many as it is given), else `ASSUMED_LIST_SIZE`;
- a connection (a type named `…Connection`) costs 1, and its `edges`/`nodes` count `first` items;
- each root mutation field costs `MUTATION_COST` on top of its payload;
- `__schema` and `__type` cost `INTROSPECTION_COST` each, whatever they select;
- fragments count where they are used; every inline fragment counts (an upper bound for unions).
  Each fragment's cost is worked out once per page size it is spread under and reused, so the walk
  is linear in the document even when fragments spread fragments many times over
  (tests/hostile/test_fragment_bomb.py).

Actual cost, at least what was executed: 1 for each object completed (counted by a compiled plan
as it goes, nulled later or not), else 1 for each object in `data`; and an answer with a failed
field is charged at least its estimate, since the backend calls of the whole operation may have run
before the failure nulled their results (up to `data`). Plus the mutation points. The charge is
settled to it: what the estimate took beyond is given back, what ran past it (a list longer than
assumed) is taken, down to an empty budget (gateway/access.py's KeyMeter).

The same walk records what the operation touches (schema/caching.py), for its HTTP caching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from resolvers.catalog import MAX_PAGE
from schema.caching import FIELDS, PRIVATE_TYPES, Touched

ASSUMED_LIST_SIZE = 10
MUTATION_COST = 10
INTROSPECTION_COST = 10
PAGE_ARGUMENTS = ("first", "last")
INTROSPECTION_FIELDS = ("__schema", "__type")


@dataclass(slots=True)
class Estimate:
    requested: int
    mutation_points: int
    introspection: bool
    touched: frozenset[Touched]


@dataclass(slots=True)
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    introspection: bool = False
    visiting: set[str] = field(default_factory=set)
    known: dict[tuple[str, int | None], int] = field(default_factory=dict)  # a fragment's cost per page size
    touched: set[Touched] = field(default_factory=lambda: {Touched.CONTENT})

    def selections(self, selection_set: SelectionSetNode | None, parent: Any, page: int | None) -> int:
        if selection_set is None:
            return 0
        if getattr(parent, "name", None) in PRIVATE_TYPES:  # a field or fragment of a private type
            self.touched.add(Touched.PRIVATE)
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, target or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, parent, page)
        return total

    def fragment(self, name: str, parent: Any, page: int | None) -> int:
        """A fragment's cost, worked out once per page size (its type condition decides its type;
        what it touches is recorded the first time)."""
        if (name, page) in self.known:
            return self.known[name, page]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return 0
        self.visiting.add(name)
        target = self.schema.get_type(fragment.type_condition.name.value)
        cost = self.known[name, page] = self.selections(fragment.selection_set, target or parent, page)
        self.visiting.discard(name)
        return cost

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        if name in INTROSPECTION_FIELDS:
            self.introspection = True
            return INTROSPECTION_COST
        if name == "__typename" or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # validation reports it
        if kind := FIELDS.get((parent.name, name)):
            self.touched.add(kind)
        named = get_named_type(definition.type)
        composite = is_composite_type(named)
        requested = self.page_size(node, definition)
        if is_list_type(get_nullable_type(definition.type)):
            if requested is None:
                requested = self.list_length(node)
            count = requested if requested is not None else (
                page if page is not None and name in ("edges", "nodes") else ASSUMED_LIST_SIZE)
            return count * ((1 if composite else 0) + self.selections(node.selection_set, named, None))
        if not composite:
            return 0
        inner_page = requested if named.name.endswith("Connection") else None
        return 1 + self.selections(node.selection_set, named, inner_page)

    def page_size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS:
                value = argument.value
                if isinstance(value, IntValueNode):  # validated: a 32-bit Int
                    return min(MAX_PAGE, max(0, int(value.value)))
                if isinstance(value, VariableNode):
                    given = as_int(self.variables.get(value.name.value))
                    if given is not None:
                        return min(MAX_PAGE, max(0, given))
        for name in PAGE_ARGUMENTS:
            declared = definition.args.get(name)
            if declared is not None and declared.default_value is not Undefined \
                    and isinstance(declared.default_value, int):
                return min(MAX_PAGE, declared.default_value)
        return None

    def list_length(self, node: FieldNode) -> int | None:
        """The length of the field's longest list argument (as a literal or a variable), if any."""
        lengths = []
        for argument in node.arguments or ():
            value = argument.value
            if isinstance(value, ListValueNode):
                lengths.append(len(value.values))
            elif isinstance(value, VariableNode) and isinstance(given := self.variables.get(value.name.value), list):
                lengths.append(len(given))
        return max(lengths) if lengths else None


def as_int(value: Any) -> int | None:
    """An Int variable's value as GraphQL coerces it: an int, or a float with no fractional part."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def with_defaults(operation: OperationDefinitionNode, variables: dict[str, Any] | None) -> dict[str, Any]:
    """The variables given, and the defaults the operation declares for those omitted."""
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


def estimate(schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode,
             variables: dict[str, Any] | None) -> Estimate:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, with_defaults(operation, variables))
    root = schema.get_root_type(operation.operation)
    cost = walk.selections(operation.selection_set, root, None)
    mutation_points = 0
    if operation.operation is OperationType.MUTATION:
        mutation_points = MUTATION_COST * sum(1 for s in operation.selection_set.selections
                                              if isinstance(s, FieldNode) and s.name.value != "__typename")
    return Estimate(requested=cost + mutation_points, mutation_points=mutation_points,
                    introspection=walk.introspection, touched=frozenset(walk.touched))


def actual(figures: Estimate, objects_counted: int | None, result: Any) -> int:
    """What an operation cost (see the module docstring): never less than what it executed."""
    data = getattr(result, "data", None)
    objects = objects_counted if objects_counted is not None else objects_in(data)
    if any(getattr(e, "path", None) for e in getattr(result, "errors", None) or ()):
        objects = max(objects, figures.requested - figures.mutation_points)  # a failure may have nulled what ran
    return objects + figures.mutation_points


def objects_in(data: Any) -> int:
    """How many objects a response's data holds (the root object not counted); an introspection
    answer counts INTROSPECTION_COST, as estimated."""
    if not isinstance(data, dict):
        return 0
    count = 0
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in INTROSPECTION_FIELDS:
                    count += INTROSPECTION_COST
                elif isinstance(inner, (dict, list)):
                    if isinstance(inner, dict):
                        count += 1
                    stack.append(inner)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    count += 1
                    stack.append(item)
                elif isinstance(item, list):
                    stack.append(item)
    return count
