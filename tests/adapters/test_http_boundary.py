"""Transport failures become domain errors once, at the boundary."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapters.http import BackendHttp, new_client
from domain.errors import BackendError, BackendTimeout, BackendUnavailable, MalformedPayload
from gateway.processes import free_port


def mocked(handler) -> BackendHttp:
    return BackendHttp("demo", httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x"), 0.2,
                       lambda body: body.get("message"))


@pytest.mark.parametrize("transport", ["aiohttp", "httpcore"])
async def test_a_refused_connection_is_unavailable(transport):
    async with new_client(f"http://127.0.0.1:{free_port()}", max_connections=2, transport=transport) as client:
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


async def test_every_call_is_reported_by_route_template_and_outcome():
    # given a backend whose answer depends on the path, and a recorder
    never = asyncio.Event()

    async def backend(request):
        if request.url.path.endswith("/slow"):
            await never.wait()  # outlasts the 0.2 s deadline
        return httpx.Response(404 if "inventory_item" in request.url.path else 200, json={})

    heard = []
    http = BackendHttp("demo", httpx.AsyncClient(transport=httpx.MockTransport(backend), base_url="http://x"), 0.2,
                       record=lambda *call: heard.append(call))
    # when it is called for a record by id, for an unknown SKU, by an own route, and past its deadline
    await http.call("GET", "/wp-json/wc/v3/products/17/variations", params={"sku": "CG-000001"})
    with pytest.raises(BackendError):
        await http.call("GET", "http://x/sell/inventory/v1/inventory_item/CG-000001?x=1")
    await http.call("POST", "/json/2/product.product/search_read", route="/json/2/product.product/search_read")
    with pytest.raises(BackendTimeout):
        await http.call("GET", "/slow")
    # then each call was heard once, its ids and SKUs as {id} (versions kept), with its outcome
    assert [call[:4] for call in heard] == [
        ("demo", "GET", "/wp-json/wc/v3/products/{id}/variations", "ok"),
        ("demo", "GET", "/sell/inventory/v1/inventory_item/{id}", "error"),
        ("demo", "POST", "/json/2/product.product/search_read", "ok"),
        ("demo", "GET", "/slow", "timeout"),
    ]
    assert heard[3][4] >= 0.2  # the time it was given


@pytest.mark.parametrize("transport", ["aiohttp", "httpcore"])
async def test_an_unreachable_backend_is_reported_as_such(transport):
    heard = []
    async with new_client(f"http://127.0.0.1:{free_port()}", max_connections=2, transport=transport) as client:
        with pytest.raises(BackendUnavailable):
            await BackendHttp("demo", client, 1.0, record=lambda *call: heard.append(call)).call("GET", "/")
    assert [call[:4] for call in heard] == [("demo", "GET", "/", "unreachable")]
