"""The one place where httpx failures become domain errors, and where backend calls are retried,
failed fast and bounded.

Each adapter gets its own `httpx.AsyncClient` (connection pool, base URL, auth)
and wraps it in a `BackendHttp` that enforces the backend's deadline (its timeout, or the
request's deadline when that comes sooner: adapters/deadline.py) and maps transport errors,
error statuses and unparsable bodies to `domain.errors`. It sends idempotent reads again after
transient failures (adapters/retries.py), asks the backend's circuit breaker before each request
(adapters/breaker.py), and bounds how many requests of one fan-out are in flight (`fan_out`).
It reports every request to a recorder when given one (the gateway passes its metrics in;
adapters know nothing of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, Protocol

import httpx
from httpx_aiohttp import AiohttpTransport

from adapters.breaker import CircuitBreaker
from adapters.deadline import current_deadline, deadline_after
from adapters.retries import RETRY_STATUSES, SAFE_METHODS, RetryEvents, RetryPolicy, retry_after
from domain.errors import BackendError, BackendThrottled, BackendTimeout, BackendUnavailable, MalformedPayload

DescribeError = Callable[[Any], str | None]
ExplainStatus = Callable[[httpx.Response], "BackendError | None"]
_VERSION = re.compile(r"v\d{1,2}")
_NO_SLOT = contextlib.nullcontext()


class CallRecorder(Protocol):
    def __call__(self, backend: str, method: str, route: str, outcome: str, seconds: float) -> None:
        """One finished backend call. `route` is the path as a template (`route_of`); `outcome` is
        `ok`, `error` (an error status), `timeout`, `unreachable`, or `cancelled` (the caller gave up)."""


@functools.lru_cache(maxsize=512)
def route_of(url: str) -> str:
    """The path of `url` without query, scheme or host, each segment holding a digit (an id, a
    SKU) as `{id}` unless it is a version (`v3`): a label that names no record. Callers whose path
    has a digit of its own say their route instead."""
    path = url.split("?", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1].partition("/")[2]
    segments = ["{id}" if any(c.isdigit() for c in s) and not _VERSION.fullmatch(s) else s
                for s in path.strip("/").split("/")]
    return "/" + "/".join(segments)


def new_client(base_url: str, *, max_connections: int, headers: Mapping[str, str] | None = None,
               auth: httpx.Auth | None = None, transport: str = "aiohttp") -> httpx.AsyncClient:
    """A pooled client for one backend, made once per process; timeouts are enforced per call by
    `BackendHttp`. At most `max_connections` are open at once, and every one the pool opens stays
    open for the next call (keep-alive, up to 5 s of idleness): after a burst the pool does not
    shrink to httpx's default of 20 kept connections, so the next burst opens none.

    `transport`: "aiohttp" carries the requests on aiohttp under httpx's client (measured here:
    about 370 µs of CPU per call against 600 µs on httpx's own httpcore, which runs through anyio);
    "httpcore" keeps httpx's own."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    carrier = AiohttpTransport(limits=limits) if transport == "aiohttp" else None
    return httpx.AsyncClient(base_url=base_url, headers=headers, auth=auth, limits=limits, timeout=None,
                             transport=carrier)


def parse_json(backend: str, content: bytes) -> Any:
    """JSON with every fractional number as Decimal, so money never passes through float."""
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedPayload(backend, "answered with a body that is not JSON") from exc


class _Failure:
    """An attempt that failed: the error to answer, and the reason to retry it (None: not retryable)."""

    __slots__ = ("error", "reason", "wait")

    def __init__(self, error: BackendError, cause: BaseException | None = None, reason: str | None = None,
                 wait: float | None = None) -> None:
        error.__cause__ = cause
        self.error, self.reason, self.wait = error, reason, wait


class BackendHttp:
    """`retry`: how idempotent reads are sent again (adapters/retries.py; None: never). `breaker`: the
    backend's circuit breaker (adapters/breaker.py; None: none). `fan_out_limit`: the most requests of
    one `fan_out` in flight at once."""

    def __init__(self, backend: str, client: httpx.AsyncClient, timeout_seconds: float,
                 describe_error: DescribeError = lambda body: None, record: CallRecorder | None = None, *,
                 retry: RetryPolicy | None = None, breaker: CircuitBreaker | None = None,
                 retry_events: RetryEvents | None = None, fan_out_limit: int = 4) -> None:
        self.backend = backend
        self.client = client
        self.timeout_seconds = timeout_seconds
        self.describe_error = describe_error
        self.record = record
        self.retry = retry
        self.breaker = breaker
        self.retry_events = retry_events
        self.fan_out_limit = fan_out_limit
        self._fan_out: ContextVar[asyncio.Semaphore | None] = ContextVar(f"fan_out_{backend}", default=None)

    async def call(self, method: str, url: str, *, params: Any = None, json_body: Any = None,
                   headers: Mapping[str, str] | None = None, accept_statuses: tuple[int, ...] = (),
                   route: str | None = None, deadline: float | None = None,
                   slots: asyncio.Semaphore | None = None, idempotent: bool | None = None,
                   explain: ExplainStatus | None = None) -> httpx.Response:
        """Sends one request; returns the response when it is 2xx or in `accept_statuses`.
        `explain`: the error an error response means, when the caller knows better than its status
        (asked of every attempt's answer, so a retry's is told as the first attempt's would be).
        `route`: the path as its template, for the recorder (default: `route_of(url)`).
        `deadline`: when the call, retries included, must have ended, in event-loop time (default: the
        request's deadline, or `retries + 1` timeouts from now when that is sooner); each attempt also
        ends within the backend's timeout.
        `slots`: a semaphore bounding concurrent calls; waiting for one counts against the deadline.
        `idempotent`: whether it may be sent again after a transient failure (default: GET and HEAD)."""
        retries = 0
        if self.retry is not None and (method in SAFE_METHODS if idempotent is None else idempotent):
            retries = self.retry.retries
        until = deadline_after(self.timeout_seconds * (retries + 1)) if deadline is None else deadline
        loop = asyncio.get_running_loop()
        tried = 0
        while True:
            when = min(loop.time() + self.timeout_seconds, until)
            outcome = await self._attempt(method, url, params, json_body, headers, accept_statuses, route, when, slots,
                                          explain)
            if isinstance(outcome, httpx.Response):
                return outcome
            if outcome.reason is None or tried >= retries or self.retry is None:
                raise outcome.error
            tried += 1
            wait = self.retry.backoff(tried) if outcome.wait is None else outcome.wait
            if loop.time() + wait >= until:
                raise outcome.error  # the backend asked for longer than is left, or the backoff would pass it
            if self.retry_events is not None:
                self.retry_events.retried(self.backend, outcome.reason)
            await self.retry.sleep(wait)

    async def _attempt(self, method: str, url: str, params: Any, json_body: Any, headers: Mapping[str, str] | None,
                       accept_statuses: tuple[int, ...], route: str | None, when: float,
                       slots: asyncio.Semaphore | None, explain: ExplainStatus | None) -> httpx.Response | _Failure:
        """One request, ended by `when`: the response, or why there is none to return. Reported to the
        recorder and the breaker (which may fail it fast, unsent)."""
        probe = self.breaker.admit() if self.breaker is not None else False
        outcome = "cancelled"  # unless one of the branches below says otherwise
        verdict: bool | None = None  # for the breaker: the backend answered (True), failed (False), or neither
        sent = False
        started = time.perf_counter()
        budget = when - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout_at(when):
                async with self._fan_out.get() or _NO_SLOT:
                    async with slots or _NO_SLOT:
                        sent = True
                        response = await self.client.request(method, url, params=params, json=json_body,
                                                             headers=headers)
        except TimeoutError as exc:
            outcome = "timeout"
            # past the request's deadline it is the gateway that gave up, and a wait for a slot sent nothing
            request = current_deadline()
            verdict = False if sent and (request is None or when < request) else None
            return _Failure(BackendTimeout(self.backend, f"no answer within {budget:.3g} s"), exc,
                            "timeout" if sent else None)
        except BackendError:
            outcome = "error"  # from the client's auth (eBay's token renewal): told as it is, never retried
            raise
        except httpx.HTTPError as exc:
            outcome, verdict = "unreachable", False
            return _Failure(BackendUnavailable(self.backend, f"cannot be reached ({type(exc).__name__})"), exc,
                            "unreachable" if isinstance(exc, httpx.TransportError) else None)
        else:
            status = response.status_code
            if response.is_success or status in accept_statuses:
                outcome, verdict = "ok", True
                return response
            outcome, verdict = "error", status < 500 and status != 429
            reason = RETRY_STATUSES.get(status)
            wait = retry_after(response) if reason is not None else None
            error = (explain(response) if explain is not None else None) or self._status_error(response, wait)
            return _Failure(error, None, reason, wait)
        finally:
            if self.record is not None:
                self.record(self.backend, method, route or route_of(url), outcome, time.perf_counter() - started)
            if self.breaker is not None:
                self.breaker.settle(probe, verdict)

    async def fan_out[T](self, calls: Iterable[Awaitable[T]]) -> list[T]:
        """Awaits `calls` together (as `asyncio.gather`), with at most `fan_out_limit` of this backend's
        requests among them in flight at once (a page walk, lookups one per SKU, chunks of a batch). A
        fan-out inside another shares its bound. Waiting for a place counts against a call's deadline."""
        if self._fan_out.get() is not None:
            return list(await asyncio.gather(*calls))
        bound = self._fan_out.set(asyncio.Semaphore(self.fan_out_limit))
        try:
            return list(await asyncio.gather(*calls))  # its tasks start in this context, with the bound
        finally:
            self._fan_out.reset(bound)

    def deadline(self) -> float:
        """When a call starting now must end (event-loop time): after this backend's timeout, or at the
        request's deadline when that is sooner. Calls that share it share one deadline."""
        return deadline_after(self.timeout_seconds)

    async def call_json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.call(method, url, **kwargs)
        return parse_json(self.backend, response.content)

    def _status_error(self, response: httpx.Response, wait: float | None = None) -> BackendError:
        status = response.status_code
        try:
            detail = self.describe_error(json.loads(response.content))
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            detail = None
        message = f"HTTP {status}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            return BackendUnavailable(self.backend, f"rejected the gateway's credentials ({message})")
        if status == 429:
            asked = f"; asks to wait {wait:.3g} s" if wait is not None else ""
            return BackendThrottled(self.backend, message + asked, wait)
        if status >= 500:
            return BackendUnavailable(self.backend, message)
        return BackendError(self.backend, message)


def require(backend: str, payload: Any, kind: type, what: str) -> Any:
    """Checks one documented shape; a mismatch is a malformed payload, not a crash."""
    if not isinstance(payload, kind):
        raise MalformedPayload(backend, f"expected {what}, got {type(payload).__name__}")
    return payload
