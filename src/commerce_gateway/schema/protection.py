"""Limits on what one document may ask, checked before anything runs: depth, aliases, tokens
and directives. Introspection fields do not count towards depth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import DirectiveNode, GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_directives: int = 20


def directive_limit(max_directives: int) -> type[ValidationRule]:
    class MaxDirectives(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            self.count += 1
            if self.count == max_directives + 1:
                self.report_error(GraphQLError(f"The document uses more than {max_directives} directives.",
                                               node))

    return MaxDirectives


def protection_extensions(limits: QueryLimits) -> list[Any]:
    rule = directive_limit(limits.max_directives)

    class DirectiveLimiter(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            self.execution_context.validation_rules = (*self.execution_context.validation_rules, rule)
            yield

    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        DirectiveLimiter,
    ]
