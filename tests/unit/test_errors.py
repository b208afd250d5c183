"""Errors as clients see them: unexpected ones masked as INTERNAL with the request id, while the
log keeps the detail."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from domain.errors import BackendError, BackendTimeout, BackendUnavailable, MalformedPayload
from domain.roles import Role
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


def test_a_backend_error_keeps_its_code_and_names_the_backend_and_its_detail_stays_in_the_log(caplog):
    said = "HTTP 500: db_error: Access denied for user 'shop'@'10.0.0.7' (password: hunter2)"
    error = GraphQLError("x", path=["product", "variants", 0, "price"],
                         original_error=BackendUnavailable("woocommerce", said))
    with caplog.at_level(logging.WARNING, logger="commerce_gateway.errors"):
        shown = format_error(error, "req-1", {"woocommerce": Role.WEB_SHOP})
    assert shown["extensions"] == {"code": "BACKEND_UNAVAILABLE", "backend": "woocommerce"}
    assert shown["message"] == "the web-shop (woocommerce) is unavailable"
    (record,) = caplog.records
    assert record.request_id == "req-1" and record.detail == said and record.backend == "woocommerce"


def test_each_kind_of_backend_failure_has_its_stable_message():
    shown = [format_error(GraphQLError("x", original_error=failure), "req-2", {"odoo": Role.ERP})["message"]
             for failure in (BackendTimeout("odoo", "no answer within 3 s"), BackendError("odoo", "HTTP 422: x"),
                             MalformedPayload("odoo", "expected a list"), BackendUnavailable("ebay", "HTTP 503"))]
    assert shown == ["the ERP (odoo) did not answer in time", "the ERP (odoo) answered an error",
                     "the ERP (odoo) answered in an unexpected form", "the backend (ebay) is unavailable"]
