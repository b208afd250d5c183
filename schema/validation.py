"""Argument values the schema rejects are the caller's input, so they carry BAD_USER_INPUT."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension


class _ValuesOfCorrectType(ValuesOfCorrectTypeRule):
    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        super().report_error(error)


class CodedInputErrors(SchemaExtension):
    """Swaps graphql-core's value rule for one that codes its errors."""

    def on_operation(self) -> Iterator[None]:
        rules = self.execution_context.validation_rules
        self.execution_context.validation_rules = tuple(
            _ValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in rules)
        yield
