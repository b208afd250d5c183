"""Errors as clients see them: unexpected ones masked as INTERNAL with the request id, while the
log keeps the detail."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from domain.errors import BackendUnavailable
from schema.errors import format_error


def test_an_unexpected_error_is_masked_and_logged_in_full(caplog):
    try:
        raise KeyError("mongo_password=hunter2")
    except KeyError as exc:
        error = GraphQLError(str(exc), path=["products"], original_error=exc)
    with caplog.at_level(logging.ERROR, logger="commerce_gateway.errors"):
        shown = format_error(error, "req-42")
    assert shown == {"message": "Internal error; quote request id req-42 when reporting it.", "path": ["products"],
                     "extensions": {"code": "INTERNAL", "requestId": "req-42"}}
    (record,) = caplog.records
    assert record.request_id == "req-42" and "hunter2" in str(record.exc_info[1])


def test_a_domain_error_keeps_its_code_and_names_the_backend():
    error = GraphQLError("x", path=["product", "variants", 0, "price"],
                         original_error=BackendUnavailable("woocommerce", "timed out after 0.5 s"))
    shown = format_error(error, "req-1")
    assert shown["extensions"] == {"code": "BACKEND_UNAVAILABLE", "backend": "woocommerce"}
    assert shown["message"] == "woocommerce: timed out after 0.5 s"
