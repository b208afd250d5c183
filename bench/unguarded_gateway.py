"""The gateway without API keys, cost analysis, budgets and query-protection limits: the baseline
that shows what those cost per request (bench/listing.py). For measuring only; never serve with it.

    python bench/unguarded_gateway.py --port N   (then as `commerce-gateway serve`)
"""

from __future__ import annotations

import sys
from typing import Any

import harness  # noqa: F401  (first: puts src/ on the path)

from commerce_gateway.domain.api_keys import Scope
from commerce_gateway.gateway import cli
from commerce_gateway.gateway.graphql_view import GatewayGraphQL
from commerce_gateway.schema import schema
from commerce_gateway.schema.scopes import RequiresScope


async def admit_everyone(self: GatewayGraphQL, request: Any, context: Any, sub_response: Any) -> None:
    context.scopes = frozenset(Scope)  # every field, no key, no budget, no cost meter
    context.introspection = True


def without_scope_checks() -> None:
    """Takes the per-field scope checks off every type of the schema, before it is built."""
    for module in list(sys.modules.values()):
        if not (module.__name__ or "").startswith("commerce_gateway.schema"):
            continue
        for value in vars(module).values():
            definition = getattr(value, "__strawberry_definition__", None)
            for field in getattr(definition, "fields", ()):
                field.extensions = [e for e in field.extensions if not isinstance(e, RequiresScope)]


def unguard() -> None:
    """From here on, apps made with `create_app` admit everyone and check nothing."""
    GatewayGraphQL._admit = admit_everyone  # type: ignore[method-assign]
    schema.protection_extensions = lambda limits: []  # no depth, alias, token, directive or cost checks
    without_scope_checks()


if __name__ == "__main__":
    unguard()
    cli.main(["serve", *sys.argv[1:]])
