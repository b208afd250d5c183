"""The partner webhook sender over real HTTP: a target that is not a public address is not called
unless allowed; a redirect is a failure, not followed; a failed answer's body is read only a little;
a receiver that does not answer costs the timeout; several secrets sign side by side."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from adapters.webhooks import ERROR_EXCERPT, PartnerPoster
from tests.servers import ServerThread

SECRETS = ["whsec_" + base64.b64encode(b"n" * 24).decode(), "whsec_" + base64.b64encode(b"o" * 24).decode()]
BODY = b'{"type":"stock.changed"}'


class Receiver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def ok(self, request: Request) -> Response:
        self.calls.append("ok")
        return Response(status_code=200)

    async def moved(self, request: Request) -> Response:
        self.calls.append("moved")
        return RedirectResponse("/ok", status_code=307)

    async def huge(self, request: Request) -> Response:
        self.calls.append("huge")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10_000):  # 10 MB, if anyone read it all
                yield b"x" * 1_000

        return StreamingResponse(chunks(), status_code=500)

    async def silent(self, request: Request) -> Response:
        self.calls.append("silent")
        await asyncio.sleep(30)  # the receiver's side: the sender gives up after its timeout
        return Response(status_code=200)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Receiver]]:
    receiving = Receiver()
    routes = [Route(f"/{name}", getattr(receiving, name), methods=["POST"]) for name in ("ok", "moved", "huge", "silent")]
    server = ServerThread(Starlette(routes=routes), timeout_graceful_shutdown=0).start()
    yield server.url, receiving
    server.stop()


async def post(url: str, allow_private: bool = True, timeout: float = 5.0) -> tuple[int | None, str | None]:
    async with httpx.AsyncClient(follow_redirects=True) as client:  # the sender refuses redirects itself
        return await PartnerPoster(client, timeout, allow_private).post(url, SECRETS, "msg_1", 1_700_000_000, BODY)


async def test_a_loopback_target_is_not_called_unless_allowed(receiver):
    url, receiving = receiver
    before = len(receiving.calls)
    status, error = await post(f"{url}/ok", allow_private=False)
    assert status is None and "not a public address" in (error or "") and "127.0.0.1" in (error or "")
    assert len(receiving.calls) == before
    assert await post(f"{url}/ok") == (200, None)


@pytest.mark.parametrize("host", ["169.254.169.254", "10.0.0.8", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"])
async def test_private_and_metadata_addresses_are_refused(host):
    status, error = await post(f"http://{host}:9/hook", allow_private=False, timeout=1)
    assert status is None and "not a public address" in (error or "")


async def test_a_redirect_is_a_failure_and_not_followed(receiver):
    url, receiving = receiver
    before = len(receiving.calls)
    assert await post(f"{url}/moved") == (307, "answered 307")
    assert receiving.calls[before:] == ["moved"]


async def test_a_failed_answers_body_is_read_only_a_little(receiver):
    url, _ = receiver
    status, error = await post(f"{url}/huge")
    assert status == 500 and error == "answered 500: " + "x" * ERROR_EXCERPT


async def test_a_receiver_that_does_not_answer_costs_the_timeout(receiver):
    url, _ = receiver
    started = asyncio.get_running_loop().time()
    assert await post(f"{url}/silent", timeout=0.3) == (None, "no answer within 0.3 s")
    assert asyncio.get_running_loop().time() - started < 2


async def test_each_secret_signs_and_each_signature_verifies(receiver):
    url, _ = receiver
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
        assert await PartnerPoster(client, 5, True).post(f"{url}/ok", SECRETS, "msg_1", 1_700_000_000, BODY) == (
            204, None)
    (request,) = seen
    given = request.headers["webhook-signature"].split()
    for secret, signature in zip(SECRETS, given, strict=True):
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
        assert signature == "v1," + base64.b64encode(digest).decode()
    assert request.headers["webhook-id"] == "msg_1" and request.headers["webhook-timestamp"] == "1700000000"
