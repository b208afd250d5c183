"""How errors reach clients: a stable `extensions.code`, the backend where one failed, and
never a stack trace. Unexpected errors are masked as INTERNAL with the request id."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from domain.errors import BackendError, DomainError

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


def domain_error_dict(error: DomainError, path: list[str | int] | None,
                      locations: list[dict] | None = None) -> dict[str, Any]:
    extra = {"backend": error.backend} if isinstance(error, BackendError) else {}
    return error_dict(str(error), error.code, path, locations, **extra)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or ()] or None
    if isinstance(original, DomainError):
        return domain_error_dict(original, error.path, locations)
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
