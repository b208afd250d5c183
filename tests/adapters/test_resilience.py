"""Backend calls fail well: idempotent reads are sent again after transient failures (honouring
`Retry-After`, never past the deadline), writes never are, and one fan-out keeps at most its bound
of requests in flight at the backend. Waits are recorded, not slept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from adapters.deadline import request_deadline
from adapters.ebay import EbayAdapter
from adapters.ebay.adapter import describe_error as ebay_error
from adapters.ebay.oauth import StaticToken
from adapters.http import BackendHttp, new_client
from adapters.odoo import Json2Transport, JsonRpcTransport
from adapters.odoo.transports import describe_json2_error
from adapters.retries import RetryPolicy
from domain.errors import BackendError, BackendThrottled, BackendUnavailable
from tests.servers import Simulator


class Waits(list[float]):
    """A `RetryPolicy.sleep` that records what it is asked to wait, and waits for nothing."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Heard(list[tuple[str, str]]):
    """`retried` events, as (backend, reason)."""

    def retried(self, backend: str, reason: str) -> None:
        self.append((backend, reason))


def scripted(*answers: httpx.Response | type[Exception]) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client whose backend answers `answers` in turn (an exception class: that failure), and the
    requests it got."""
    got: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        got.append(request)
        reply = answers[len(got) - 1]
        if isinstance(reply, type):
            raise reply("scripted", request=request)
        return reply

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://backend"), got


def backend(client: httpx.AsyncClient, waits: Waits, *, timeout: float = 3.0, retries: int = 2,
            heard: Heard | None = None) -> BackendHttp:
    return BackendHttp("demo", client, timeout, retry=RetryPolicy(retries, sleep=waits, jitter=lambda: 1.0),
                       retry_events=heard)


# — reads are sent again —

async def test_a_read_answered_429_is_sent_again_after_its_retry_after():
    # given a backend that throttles once, asking for a second, then answers
    client, got = scripted(httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json={"ok": 1}))
    waits, heard = Waits(), Heard()
    # when a read is made
    answer = await backend(client, waits, heard=heard).call_json("GET", "/things")
    # then it waited the second asked for, sent it again, and has the answer
    assert answer == {"ok": 1}
    assert waits == [1.0]
    assert len(got) == 2
    assert heard == [("demo", "http_429")]


@pytest.mark.parametrize("failure", [httpx.Response(502), httpx.Response(503), httpx.Response(504),
                                     httpx.ConnectError, httpx.RemoteProtocolError])
async def test_a_read_is_sent_again_after_a_transient_failure_with_a_growing_backoff(failure):
    client, got = scripted(failure, failure, httpx.Response(200, json=[]))
    waits = Waits()
    assert await backend(client, waits).call_json("GET", "/things") == []
    assert len(got) == 3
    assert waits == [0.1, 0.2]  # the upper end of each backoff (jitter 1.0)


async def test_a_read_that_times_out_is_sent_again_within_its_retries():
    # given a backend that never answers the first request
    never = asyncio.Event()
    calls = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await never.wait()
        return httpx.Response(200, json={"late": False})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://backend")
    heard = Heard()
    # when read with a 200 ms timeout
    assert await backend(client, Waits(), timeout=0.2, heard=heard).call_json("GET", "/things") == {"late": False}
    # then the second request answered
    assert calls == 2
    assert heard == [("demo", "timeout")]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
async def test_a_client_error_is_not_sent_again(status):
    client, got = scripted(httpx.Response(status), httpx.Response(200))
    with pytest.raises(BackendError):
        await backend(client, Waits()).call("GET", "/things")
    assert len(got) == 1


async def test_retries_are_bounded():
    client, got = scripted(*[httpx.Response(503)] * 4)
    with pytest.raises(BackendUnavailable, match="HTTP 503"):
        await backend(client, Waits(), retries=2).call("GET", "/things")
    assert len(got) == 3


# — writes never are —

@pytest.mark.parametrize("failure", [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "0"}),
                                     httpx.ConnectError])
async def test_a_write_is_never_sent_again(failure):
    client, got = scripted(failure, httpx.Response(200))
    with pytest.raises(BackendUnavailable):
        await backend(client, Waits()).call("POST", "/orders", json_body={"lines": []})
    assert len(got) == 1


# — never past the deadline —

async def test_a_retry_after_longer_than_the_time_left_answers_that_the_backend_asks_to_slow_down():
    # given a backend asking for 5 s, and a request with 1 s left
    client, got = scripted(httpx.Response(429, headers={"Retry-After": "5"}), httpx.Response(200))
    waits = Waits()
    # when a read is made
    with request_deadline(1.0), pytest.raises(BackendThrottled, match="asks to wait 5 s") as raised:
        await backend(client, waits).call("GET", "/things")
    # then it was not sent again, nor waited for
    assert len(got) == 1
    assert waits == []
    assert raised.value.retry_after == 5
    assert raised.value.code == "BACKEND_UNAVAILABLE"


async def test_a_backoff_that_would_pass_the_deadline_is_not_waited():
    client, got = scripted(httpx.Response(503), httpx.Response(200))
    waits = Waits()
    with request_deadline(0.05), pytest.raises(BackendUnavailable):
        await backend(client, waits).call("GET", "/things")  # the first backoff is 0.1 s
    assert (len(got), waits) == (1, [])


async def test_a_call_with_its_retries_ends_within_retries_plus_one_timeouts_without_a_request_deadline():
    # given a backend asking for 10 s, more than the three attempts' 3 x 3 s
    client, got = scripted(httpx.Response(503, headers={"Retry-After": "10"}), httpx.Response(200))
    with pytest.raises(BackendUnavailable):
        await backend(client, Waits()).call("GET", "/things")
    assert len(got) == 1


async def test_retry_after_may_be_an_http_date():
    client, got = scripted(httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
                           httpx.Response(200))
    waits = Waits()
    await backend(client, waits).call("GET", "/things")
    assert waits == [0.0]  # a date passed: at once


# — over the simulators —

@pytest.fixture
def ebay_sim(simulators) -> Iterator[Simulator]:
    simulators["ebay"].reset_stats()
    yield simulators["ebay"]


def listed_sku(catalog) -> str:
    return next(p for p in catalog.products if p.on_marketplace).variants[0].sku


async def test_ebay_throttling_its_offer_lookups_is_waited_out(ebay_sim, catalog):
    # given eBay answering the next offer lookup 429 with its own error body and Retry-After 1
    ebay_sim.faults(fail_next=1, fail_status=429, retry_after="1")
    waits = Waits()
    async with new_client(ebay_sim.url, max_connections=4, auth=StaticToken("ebay-demo-token")) as client:
        http = BackendHttp(EbayAdapter.name, client, 3.0, ebay_error, retry=RetryPolicy(2, sleep=waits))
        adapter = EbayAdapter(http, marketplace_id="EBAY_DE")
        # when one SKU's offer is looked up
        offers = await adapter.offers_by_sku([listed_sku(catalog)])
    # then the lookup was made twice, a second apart on the recorded clock, and has its price
    assert [o.sku for o in offers] == [listed_sku(catalog)]
    assert waits == [1.0]
    assert ebay_sim.stats()["GET /sell/inventory/v1/offer"] == 2


async def test_ebay_throttling_past_the_deadline_names_the_limit(ebay_sim, catalog):
    ebay_sim.faults(fail_next=1, fail_status=429, retry_after="30")
    async with new_client(ebay_sim.url, max_connections=4, auth=StaticToken("ebay-demo-token")) as client:
        http = BackendHttp(EbayAdapter.name, client, 3.0, ebay_error, retry=RetryPolicy(2, sleep=Waits()))
        adapter = EbayAdapter(http, marketplace_id="EBAY_DE")
        with pytest.raises(BackendThrottled, match="2001: Too many requests; asks to wait 30 s"):
            await adapter.offers_by_sku([listed_sku(catalog)])
    assert ebay_sim.stats()["GET /sell/inventory/v1/offer"] == 1


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
async def test_odoo_reads_over_post_are_sent_again_but_its_creates_never(simulators, transport):
    odoo = simulators["odoo"]
    async with new_client(odoo.url, max_connections=4) as client:
        http = BackendHttp("odoo", client, 3.0, describe_json2_error, retry=RetryPolicy(2, sleep=Waits()))
        rpc = Json2Transport(http, api_key="odoo-demo-key", database="demo") if transport == "json2" else \
            JsonRpcTransport(http, database="demo", login="gateway@example.com", api_key="odoo-demo-key")
        await rpc.call("res.partner", "search_count", domain=[])  # JSON-RPC logs in first
        path = "/json/2/res.partner/{method}" if transport == "json2" else "/jsonrpc"
        # given the ERP's next answer to a read is a 503
        odoo.faults(fail_next=1, fail_status=503, fail_path=path.format(method="search_read"))
        odoo.reset_stats()
        # when the read is made, it is sent again and answers
        assert await rpc.call("res.partner", "search_read", domain=[["id", "=", 0]], fields=["id"]) == []
        assert odoo.stats()["rpc res.partner.search_read"] == 1  # the one that reached the ERP
        assert sum(n for route, n in odoo.stats().items() if route.startswith("POST")) == 2
        # given the ERP's next answer to a create is a 503
        odoo.faults(fail_next=1, fail_status=503, fail_path=path.format(method="create"))
        odoo.reset_stats()
        # when a contact is created, it fails, sent once
        with pytest.raises(BackendUnavailable, match="HTTP 503"):
            await rpc.call("res.partner", "create", vals_list=[{"name": "Never twice"}])
        assert sum(n for route, n in odoo.stats().items() if route.startswith("POST")) == 1
    assert "rpc res.partner.create" not in odoo.stats()


async def test_an_odoo_refusal_met_on_a_retry_is_explained_as_on_the_first_attempt():
    refused = httpx.Response(401, json={"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"})
    explained = []
    # given a read answered 401 at once, and another answered 503 and then 401
    for answers in ((refused,), (httpx.Response(503), refused)):
        client, got = scripted(*answers)
        http = BackendHttp("odoo", client, 3.0, describe_json2_error, retry=RetryPolicy(2, sleep=Waits()))
        rpc = Json2Transport(http, api_key="expired", database="demo")
        # when each is made, then both name the setting to renew, in the same words
        with pytest.raises(BackendUnavailable, match=r"refused the API key .*set backends\.odoo\.api_key") as error:
            await rpc.call("product.template", "search_read", domain=[], fields=["id"])
        explained.append(str(error.value))
        assert len(got) == len(answers)
    assert explained[0] == explained[1]


async def test_a_refusal_raised_by_the_clients_auth_is_counted_as_an_error_and_not_sent_again():
    # given a client whose auth (as eBay's token renewal does) raises the backend's refusal
    class Refused(httpx.Auth):
        async def async_auth_flow(self, request):
            raise BackendUnavailable("demo", "refused to renew the access token")
            yield request  # a generator, as httpx wants

    client, got = scripted(httpx.Response(200))
    client.auth = Refused()
    heard: list[tuple] = []
    http = BackendHttp("demo", client, 3.0, record=lambda *call: heard.append(call[:4]),
                       retry=RetryPolicy(2, sleep=Waits()))
    # when a read is made, the refusal is answered as it is, once
    with pytest.raises(BackendUnavailable, match="refused to renew"):
        await http.call("GET", "/things")
    assert heard == [("demo", "GET", "/things", "error")]
    assert got == []
