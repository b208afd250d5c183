"""Validation rules whose work is linear in the document, however its fragments spread.

A fragment spread twice in each of n nested fragments (`fragment F1 on Query { ...F0 ...F0 }`,
`fragment F2 on Query { ...F1 ...F1 }`, …) is a document of a few hundred tokens that stands for
2^n copies of the innermost one. A check that follows every spread does 2^n steps (strawberry's
depth and alias limiters: 1 s at 18 levels, hours at 30); these work out each fragment's figure
once and reuse it wherever it is spread, so they do one step per selection of the document.

- `depth_limit(n)`: the deepest chain of fields with selections may hold n fields (introspection
  fields do not count), as strawberry's QueryDepthLimiter counts it;
- `alias_limit(n)`: at most n aliased fields, each counted as often as its fragment is spread,
  as strawberry's MaxAliasesLimiter counts them;
- `BoundedOverlaps`: graphql-core's OverlappingFieldsCanBeMergedRule, which compares the fields
  sharing a response name pairwise, with a smaller work budget and a message saying what to do
  (800 `channels { code }` at the root, 3,200 tokens, took 1.8 s to compare).

A spread of an unknown fragment counts as nothing here: KnownFragmentNamesRule reports it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql.language import BREAK
from graphql.validation import OverlappingFieldsCanBeMergedRule
from graphql.validation.validate import ValidationAbortedError

# the comparisons OverlappingFieldsCanBeMergedRule may make in one document (graphql-core's own
# budget is 500,000, some 2 s here); the largest document of the test suite and the benchmarks
# spends 14, the introspection query 0
OVERLAP_BUDGET = 20_000
TOO_COMPLEX = ("The document is too complex to check: too many fields share a response name. "
               "Select each field once per selection set.")


class FragmentFigures:
    """A figure of each selection set, with every fragment's worked out once (memoised by name).
    `combine(selection_set, figure_of)` works out one selection set's figure, calling `figure_of`
    for each selection within it; a fragment spread inside a cycle (which NoFragmentCyclesRule
    refuses) or of an unknown fragment is `empty`."""

    def __init__(self, document: Any, empty: Any,
                 combine: Callable[[SelectionSetNode, Callable[[Any], Any]], Any],
                 field: Callable[[FieldNode, Callable[[SelectionSetNode | None], Any]], Any]) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.empty = empty
        self.combine = combine
        self.field = field
        self.known: dict[str, Any] = {}
        self.visiting: set[str] = set()

    def of(self, selection_set: SelectionSetNode | None) -> Any:
        if selection_set is None:
            return self.empty
        return self.combine(selection_set, self.selection)

    def selection(self, selection: Any) -> Any:
        if isinstance(selection, FieldNode):
            return self.field(selection, self.of)
        if isinstance(selection, InlineFragmentNode):
            return self.of(selection.selection_set)
        if isinstance(selection, FragmentSpreadNode):
            return self.fragment(selection.name.value)
        return self.empty

    def fragment(self, name: str) -> Any:
        if name in self.known:
            return self.known[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return self.empty
        self.visiting.add(name)
        figure = self.known[name] = self.of(definition.selection_set)
        self.visiting.discard(name)
        return figure


def _height(node: FieldNode, of: Callable[[SelectionSetNode | None], int]) -> int:
    """How many fields with selections the deepest chain from this field holds."""
    if node.name.value.startswith("__") or node.selection_set is None:
        return 0
    return 1 + of(node.selection_set)


def _deepest(selection_set: SelectionSetNode, figure_of: Callable[[Any], int]) -> int:
    return max((figure_of(s) for s in selection_set.selections), default=0)


def _aliases(node: FieldNode, of: Callable[[SelectionSetNode | None], int]) -> int:
    return (1 if node.alias else 0) + of(node.selection_set)


def _total(selection_set: SelectionSetNode, figure_of: Callable[[Any], int]) -> int:
    return sum(figure_of(s) for s in selection_set.selections)


def _operations(context: ValidationContext) -> list[OperationDefinitionNode]:
    return [d for d in context.document.definitions if isinstance(d, OperationDefinitionNode)]


class MaxDepth(ValidationRule):
    """Refuses an operation whose fields nest deeper than `max_depth` (a subclass sets the figure:
    `depth_limit`). The root fields are at depth 0."""

    max_depth = 12

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        heights = FragmentFigures(context.document, 0, _deepest, _height)
        for operation in _operations(context):
            if heights.of(operation.selection_set) > self.max_depth:
                name = operation.name.value if operation.name else "anonymous"
                context.report_error(GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {self.max_depth}", operation))


class MaxAliases(ValidationRule):
    """Refuses a document with more than `max_aliases` aliased fields, each counted as often as it
    is spread (a subclass sets the figure: `alias_limit`)."""

    max_aliases = 30

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        aliases = FragmentFigures(context.document, 0, _total, _aliases)
        total = sum(aliases.of(operation.selection_set) for operation in _operations(context))
        if total > self.max_aliases:
            context.report_error(GraphQLError(f"{total} aliases found. Allowed: {self.max_aliases}"))


@functools.cache
def depth_limit(max_depth: int) -> type[ValidationRule]:
    """The MaxDepth rule for `max_depth`: one class per figure, made once."""
    return type("MaxDepth", (MaxDepth,), {"max_depth": max_depth})


@functools.cache
def alias_limit(max_aliases: int) -> type[ValidationRule]:
    """The MaxAliases rule for `max_aliases`: one class per figure, made once."""
    return type("MaxAliases", (MaxAliases,), {"max_aliases": max_aliases})


class BoundedOverlaps(OverlappingFieldsCanBeMergedRule):
    """OverlappingFieldsCanBeMergedRule with OVERLAP_BUDGET: past it, one error saying the
    document is too complex, and this rule stops (the others go on)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = OVERLAP_BUDGET

    def enter_selection_set(self, *args: Any) -> Any:
        try:
            return super().enter_selection_set(*args)
        except ValidationAbortedError:
            self.report_error(GraphQLError(TOO_COMPLEX))
            return BREAK
