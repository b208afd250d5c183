"""The gateway without API keys, cost analysis, budgets and query-protection limits: the baseline
that shows what those cost per request (bench/listing.py). For measuring only; never serve with it.

    python bench/unguarded_gateway.py --port N   (then as `commerce-gateway serve`)

It is the gateway's own app, built with two options of `create_app` and nothing patched: a
gatekeeper that admits every request as one key with every scope and no budget (nothing looked
up, nothing taken), and the schema built unguarded (`build_schema(guarded=False)`: no depth,
alias, token, directive and cost checks, no per-field scope checks).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import harness  # noqa: F401  (first: puts the layers on the path)
from starlette.applications import Starlette

from domain.api_keys import ApiKey, KeyKind, Scope
from gateway import cli
from gateway.access import Admitted, Gatekeeper
from gateway.app import create_app
from gateway.budgets import Decision
from gateway.processes import stop_with_supervisor
from gateway.settings import Settings
from schema.schema import build_schema

UNLIMITED = 10**12
EVERYONE = ApiKey(key_id="unguarded", name="unguarded baseline", kind=KeyKind.FRONTEND, channel=None,
                  scopes=tuple(Scope), requests_per_minute=UNLIMITED, cost_per_minute=UNLIMITED,
                  secret_sha256="", created_at=datetime.now(UTC))


class AdmitEveryone(Gatekeeper):
    """Every request, with a key or without, is EVERYONE; no key store, budget or cost meter is asked."""

    async def admit(self, raw: str | None, address: str = "") -> Admitted:
        return Admitted(EVERYONE, Decision(True, UNLIMITED, UNLIMITED, 0))

    def meter(self, key: ApiKey) -> None:  # type: ignore[override]
        return None


def unguarded_app(settings: Settings, *, metrics_dir: str | None = None) -> Starlette:
    """The gateway's app over `settings` that admits everyone and checks nothing."""
    schema = build_schema(settings.server.document_cache_size, compiled=settings.server.compiled_queries,
                          guarded=False)
    return create_app(settings, metrics_dir=metrics_dir, schema=schema, gatekeeper=AdmitEveryone)


if __name__ == "__main__":
    stop_with_supervisor()
    raise SystemExit(cli.serve(cli.parser().parse_args(["serve", *sys.argv[1:]]), make_app=unguarded_app))
