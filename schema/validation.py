"""Argument values the schema rejects are the caller's input, so they carry BAD_USER_INPUT, and
error messages name no part of the schema the caller did not name ("Did you mean …?")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLFloat, GraphQLInt, IntValueNode, ValuesOfCorrectTypeRule, get_named_type
from graphql.language import SKIP
from strawberry.extensions import SchemaExtension

# more digits than a 32-bit Int or a float has; past 4,300 Python's int() refuses the text outright
MAX_NUMBER_DIGITS = 40
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class _ValuesOfCorrectType(ValuesOfCorrectTypeRule):
    def enter_int_value(self, node: IntValueNode, *args: Any) -> Any:
        expected = self.context.get_input_type()
        if len(node.value.lstrip("-")) > MAX_NUMBER_DIGITS \
                and get_named_type(expected) in (GraphQLInt, GraphQLFloat):
            self.report_error(GraphQLError(
                f"{get_named_type(expected)} cannot represent a number of {len(node.value.lstrip('-'))} digits.",
                node))
            return SKIP
        return super().enter_int_value(node, *args)

    def report_error(self, error: GraphQLError) -> None:
        # a scalar's parser refusing the literal (a ValueError) is the input's fault, not the gateway's
        error.original_error = None
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        super().report_error(error)


def without_suggestions(message: str) -> str:
    """The message without graphql-core's "Did you mean …?" (field, argument, type, enum value and
    input field names close to the caller's)."""
    return _SUGGESTION.sub("", message) if "Did you mean" in message else message


class CodedInputErrors(SchemaExtension):
    """Swaps graphql-core's value rule for one that codes its errors."""

    def on_operation(self) -> Iterator[None]:
        rules = self.execution_context.validation_rules
        self.execution_context.validation_rules = tuple(
            _ValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in rules)
        yield
