"""A backend's error body may hold its internals (a database user, a host, a key). A client that
makes a backend fail must read a stable message naming the backend, never what the backend said;
that goes to the log with the request id."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import served_gateway
from tests.servers import ServerThread

SECRET = "ck_live_5f3a9c2e7b1d4a6f8e0c2b4d6f8a0c2e"
TITLES = "{ products(first: 2) { edges { node { sku title } } } }"


def leaky_web_shop(status: int) -> ServerThread:
    """A web-shop that answers every call with `status` and an error body giving away a secret."""
    async def fail(_: Request) -> JSONResponse:
        return JSONResponse({"code": "db_error", "message": f"Access denied for 'wp'@'10.0.3.7' using key {SECRET}",
                             "data": {"status": status}}, status_code=status)

    return ServerThread(Starlette(routes=[Route("/{path:path}", fail, methods=["GET", "POST"])])).start()


@pytest.mark.parametrize(("status", "code", "says"), [
    (500, "BACKEND_UNAVAILABLE", "the web-shop (woocommerce) is unavailable"),
    (400, "BACKEND_ERROR", "the web-shop (woocommerce) answered an error")])
def test_a_backends_error_text_never_reaches_the_client(simulators, mongo_url, api_key, caplog,
                                                        status, code, says):
    # given a web-shop whose errors carry a secret
    shop = leaky_web_shop(status)
    try:
        with served_gateway(simulators, mongo_url, CGW_BACKENDS__WOOCOMMERCE__BASE_URL=shop.url) as url, \
                caplog.at_level(logging.WARNING, logger="commerce_gateway.errors"):
            # when a client asks for what the web-shop owns
            response = httpx.post(f"{url}/graphql", json={"query": TITLES}, headers={"X-API-Key": api_key}, timeout=30)
    finally:
        shop.stop()
    # then the answer names the web-shop in a stable message, and holds nothing it said
    assert SECRET not in response.text and "10.0.3.7" not in response.text and "db_error" not in response.text
    errors = response.json()["errors"]
    assert errors and all(e["message"] == says and e["extensions"] == {"code": code, "backend": "woocommerce"}
                          for e in errors), errors
    # and the log has what it said, with the request id
    logged = [r for r in caplog.records if r.getMessage() == "backend error"]
    assert logged and all(SECRET in r.detail and r.request_id == response.headers["X-Request-ID"] for r in logged)
