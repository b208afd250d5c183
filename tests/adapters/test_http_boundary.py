"""Transport failures become domain errors once, at the boundary."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from commerce_gateway.adapters.http import BackendHttp
from commerce_gateway.domain.errors import BackendError, BackendTimeout, BackendUnavailable, MalformedPayload
from commerce_gateway.gateway.processes import free_port


def mocked(handler) -> BackendHttp:
    return BackendHttp("demo", httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x"), 0.2,
                       lambda body: body.get("message"))


async def test_a_refused_connection_is_unavailable():
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            await BackendHttp("demo", client, 1.0).call("GET", "/")


async def test_no_answer_within_the_timeout():
    async def slow(request):
        await asyncio.sleep(1)
        return httpx.Response(200, json={})

    with pytest.raises(BackendTimeout, match="0.2 s"):
        await mocked(slow).call("GET", "/")


async def test_a_body_that_is_not_json_is_malformed():
    http = mocked(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(MalformedPayload):
        await http.call_json("GET", "/")


@pytest.mark.parametrize(("status", "kind"), [(401, BackendUnavailable), (503, BackendUnavailable),
                                              (429, BackendUnavailable), (404, BackendError)])
async def test_error_statuses_carry_the_backends_message(status, kind):
    http = mocked(lambda request: httpx.Response(status, json={"message": "told you so"}))
    with pytest.raises(kind, match="told you so") as raised:
        await http.call("GET", "/")
    assert raised.value.backend == "demo"


async def test_money_is_parsed_as_decimal():
    from decimal import Decimal

    http = mocked(lambda request: httpx.Response(200, content=b'{"price": 19.99}'))
    assert (await http.call_json("GET", "/"))["price"] == Decimal("19.99")
