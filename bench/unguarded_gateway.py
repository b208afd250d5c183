"""The gateway without API keys, cost analysis, budgets and query-protection limits: the baseline
that shows what those cost per request (bench/listing.py). For measuring only; never serve with it.

    python bench/unguarded_gateway.py --port N   (then as `commerce-gateway serve`)

It swaps whole collaborators, not the endpoint's private steps, so it keeps working while the
endpoint's internals move: a gatekeeper that admits every request as one key with every scope and
no budget (nothing looked up, nothing taken), no protection extensions (depth, alias, token,
directive and cost checks), and no per-field scope checks. Whatever it cannot find to replace stops
it at once, rather than letting it measure the guarded gateway under the baseline's name.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import harness  # noqa: F401  (first: puts the layers on the path)

from domain.api_keys import ApiKey, KeyKind, Scope
from gateway import app, cli
from gateway.access import Admitted, Gatekeeper
from gateway.budgets import Decision
from schema import schema
from schema.scopes import RequiresScope

UNLIMITED = 10**12
EVERYONE = ApiKey(key_id="unguarded", name="unguarded baseline", kind=KeyKind.FRONTEND, channel=None,
                  scopes=tuple(Scope), requests_per_minute=UNLIMITED, cost_per_minute=UNLIMITED,
                  secret_sha256="", created_at=datetime.now(UTC))


class AdmitEveryone(Gatekeeper):
    """Every request, with a key or without, is EVERYONE; no key store, budget or cost meter is asked."""

    async def admit(self, raw: str | None) -> Admitted:
        return Admitted(EVERYONE, Decision(True, UNLIMITED, UNLIMITED, 0))

    def meter(self, key: ApiKey) -> None:  # type: ignore[override]
        return None


def replace(module: ModuleType, name: str, value: Any) -> None:
    if not hasattr(module, name):
        raise SystemExit(f"bench/unguarded_gateway.py is out of date: {module.__name__}.{name} is gone")
    setattr(module, name, value)


def without_scope_checks() -> None:
    """Takes the per-field scope checks off every type of the schema, before it is built."""
    taken = 0
    for module in list(sys.modules.values()):
        if not (module.__name__ or "").startswith("schema."):
            continue
        for value in vars(module).values():
            definition = getattr(value, "__strawberry_definition__", None)
            for field in getattr(definition, "fields", ()):
                kept = [e for e in field.extensions if not isinstance(e, RequiresScope)]
                taken += len(field.extensions) - len(kept)
                field.extensions = kept
    if not taken:
        raise SystemExit("bench/unguarded_gateway.py is out of date: the schema has no RequiresScope checks")


def unguard() -> None:
    """From here on, apps made with `create_app` admit everyone and check nothing."""
    replace(app, "Gatekeeper", AdmitEveryone)
    replace(schema, "protection_extensions", lambda limits: [])
    without_scope_checks()


if __name__ == "__main__":
    unguard()
    cli.main(["serve", *sys.argv[1:]])
