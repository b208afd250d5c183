"""A backend that keeps failing is failed fast for a cool-down, then probed by one call, and closed
again when that call succeeds. Time is a clock the tests move."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapters.breaker import CircuitBreaker
from adapters.deadline import request_deadline
from adapters.http import BackendHttp
from domain.errors import BackendError, BackendTimeout, BackendUnavailable

FAILURES, COOLDOWN = 3, 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Changes(list[tuple[str, str]]):
    def breaker_changed(self, backend: str, state: str) -> None:
        self.append((backend, state))

    def breaker_rejected(self, backend: str) -> None:
        self.append((backend, "rejected"))


class Backend:
    """A backend answering `status` (or hanging, with `hang`), counting the requests it got."""

    def __init__(self) -> None:
        self.status = 503
        self.hang = False
        self.requests = 0
        self.arrived = asyncio.Event()  # set by every request

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.arrived.set()
        if self.hang:
            await asyncio.Event().wait()
        return httpx.Response(self.status, json={})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def http(backend, clock, changes) -> BackendHttp:
    breaker = CircuitBreaker("demo", failures=FAILURES, cooldown_seconds=COOLDOWN, clock=clock, events=changes)
    client = httpx.AsyncClient(transport=httpx.MockTransport(backend), base_url="http://backend")
    return BackendHttp("demo", client, 0.05, breaker=breaker)


async def sent(backend: Backend, http: BackendHttp) -> asyncio.Future:
    """A call started and arrived at the backend."""
    backend.arrived.clear()
    call = asyncio.ensure_future(http.call("GET", "/things"))
    await backend.arrived.wait()
    return call


async def fail(http: BackendHttp, times: int, kind: type[Exception] = BackendError) -> None:
    for _ in range(times):
        with pytest.raises(kind):
            await http.call("GET", "/things")


async def test_the_breaker_opens_after_failures_in_a_row_and_then_fails_fast_unsent(http, backend, changes):
    # given a backend answering 503
    # when it fails as often as the breaker allows
    await fail(http, FAILURES)
    assert http.breaker.is_open
    # then the next calls fail fast, as unavailable, without a request
    with pytest.raises(BackendUnavailable, match="failing fast"):
        await http.call("GET", "/things")
    assert backend.requests == FAILURES
    assert changes == [("demo", "closed"), ("demo", "open"), ("demo", "rejected")]


async def test_after_the_cooldown_one_probe_goes_and_its_success_closes_the_breaker(http, backend, clock, changes):
    # given an open breaker, and the backend well again
    await fail(http, FAILURES)
    backend.status = 200
    # when the cool-down is not over, calls still fail fast
    clock.now += COOLDOWN - 1
    await fail(http, 1, BackendUnavailable)
    assert backend.requests == FAILURES
    # when it is over, the next call is the probe and it closes the breaker
    clock.now += 1
    await http.call("GET", "/things")
    assert backend.requests == FAILURES + 1
    assert http.breaker.state == "closed"
    assert changes[-2:] == [("demo", "half_open"), ("demo", "closed")]
    # and calls go through again
    await http.call("GET", "/things")
    assert backend.requests == FAILURES + 2


async def test_while_the_probe_is_out_other_calls_fail_fast(http, backend, clock):
    await fail(http, FAILURES)
    clock.now += COOLDOWN
    backend.hang = True  # the probe waits for an answer
    probe = await sent(backend, http)
    await fail(http, 2, BackendUnavailable)
    with pytest.raises(BackendTimeout):
        await probe  # the probe timed out: the breaker opens again
    assert backend.requests == FAILURES + 1
    assert http.breaker.is_open


async def test_a_failed_probe_opens_the_breaker_for_another_cooldown(http, backend, clock):
    await fail(http, FAILURES)
    clock.now += COOLDOWN
    await fail(http, 1, BackendUnavailable)  # the probe, answered 503
    assert backend.requests == FAILURES + 1
    clock.now += COOLDOWN - 1
    await fail(http, 1, BackendUnavailable)
    assert backend.requests == FAILURES + 1


async def test_client_errors_are_answers_and_keep_the_breaker_closed(http, backend):
    backend.status = 404
    await fail(http, FAILURES * 2)
    assert http.breaker.state == "closed"
    assert backend.requests == FAILURES * 2


async def test_a_success_starts_the_count_again(http, backend):
    await fail(http, FAILURES - 1)
    backend.status = 200
    await http.call("GET", "/things")
    backend.status = 503
    await fail(http, FAILURES - 1)
    assert http.breaker.state == "closed"


async def test_the_gateways_own_cancellations_do_not_open_the_breaker(http, backend):
    # given a backend that does not answer
    backend.hang = True
    # when calls are cancelled (a client gone, the request's deadline) many times
    for _ in range(FAILURES * 2):
        call = await sent(backend, http)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    # and calls end at the request's deadline, sooner than the backend's timeout
    with request_deadline(0.01):
        await fail(http, FAILURES * 2, BackendTimeout)
    # then the breaker is still closed: none of it was the backend's failure
    assert http.breaker.state == "closed"
    # while timeouts of the backend's own open it
    await fail(http, FAILURES, BackendTimeout)
    assert http.breaker.is_open


async def test_a_cancelled_probe_lets_the_next_call_probe(http, backend, clock):
    await fail(http, FAILURES)
    clock.now += COOLDOWN
    backend.hang = True
    probe = await sent(backend, http)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    backend.hang, backend.status = False, 200
    await http.call("GET", "/things")
    assert http.breaker.state == "closed"
