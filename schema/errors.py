"""How errors reach clients: a stable `extensions.code`, the backend where one failed, and
never a stack trace. Unexpected errors are masked as INTERNAL with the request id. A backend's
own words (its error body, which may hold its internals) go to the log with the request id;
the client reads a stable message naming the backend's role and name."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

from domain.errors import BackendError, DomainError
from domain.roles import Role

log = logging.getLogger("commerce_gateway.errors")

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"


def error_dict(message: str, code: str, path: list[str | int] | None = None,
               locations: list[dict] | None = None, **extensions: Any) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": message}
    if locations:
        formatted["locations"] = locations
    if path is not None:
        formatted["path"] = path
    formatted["extensions"] = {"code": code, **extensions}
    return formatted


def backend_message(error: BackendError, roles: Mapping[str, Role] | None = None) -> str:
    """What a client reads of a backend's failure: "the ERP (odoo) did not answer in time"."""
    role = (roles or {}).get(error.backend)
    return f"{role.phrase if role else 'the backend'} ({error.backend}) {error.summary}"


def domain_error_dict(error: DomainError, path: list[str | int] | None, locations: list[dict] | None = None,
                      *, request_id: str = "", roles: Mapping[str, Role] | None = None) -> dict[str, Any]:
    """`roles`: the backends' adapter names and their roles, for a backend error's message."""
    if isinstance(error, BackendError):
        log.warning("backend error", extra={"request_id": request_id, "backend": error.backend, "code": error.code,
                                            "detail": error.detail, "path": path})
        return error_dict(backend_message(error, roles), error.code, path, locations, backend=error.backend)
    return error_dict(str(error), error.code, path, locations)


def format_error(error: GraphQLError, request_id: str, roles: Mapping[str, Role] | None = None) -> dict[str, Any]:
    original = error.original_error
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or ()] or None
    if isinstance(original, DomainError):
        return domain_error_dict(original, error.path, locations, request_id=request_id, roles=roles)
    if error.message.startswith("Variable '$"):
        # graphql-core's coercion of the request's variables (wrong type, unknown enum value, bad scalar)
        return error_dict(error.message, BAD_USER_INPUT, error.path, locations)
    if original is not None and not isinstance(original, GraphQLError):
        log.error("unexpected error", exc_info=original, extra={"request_id": request_id, "path": error.path})
        return error_dict(f"Internal error; quote request id {request_id} when reporting it.", "INTERNAL",
                          error.path, locations, requestId=request_id)
    code = (error.extensions or {}).get("code")
    if code is None:
        code = VALIDATION_FAILED  # documents that do not validate against the schema
    return error_dict(error.message, code, error.path, locations,
                      **{k: v for k, v in (error.extensions or {}).items() if k != "code"})
