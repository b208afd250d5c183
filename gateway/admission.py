"""Admission control for /graphql, per process (pure ASGI, before the body is read or parsed).

A process runs at most `max_in_flight` operations at once; a request beyond them waits in a short
queue (at most `max_queued`, each for at most `queue_timeout_seconds`), and beyond that it is
refused at once with 503 and `Retry-After`. One API key holds at most `max_per_key` of the
running and queued requests; beyond them its requests get 429 and `Retry-After`, so a flooding
key cannot take the slots other keys' requests need. Both refusals are decided from the headers
alone and answer in the GraphQL error shape with a stable code (`OVERLOADED`,
`TOO_MANY_CONCURRENT_REQUESTS`).

A refusal is answered after `refusal_hold_seconds` (at most `max_held_refusals` of them held at
once, the rest answered at once): a client that ignores `Retry-After` and sends again the moment
it is refused would otherwise have the process answer thousands of refusals a second, and those
take the core from the requests it admitted. Held, a refused connection costs a timer, not CPU.

An admitted request runs within `deadline_seconds`, from admission to the end of its answer
(reading the body, waiting for backends, all of it): past it, or when its client disconnects,
the request is cancelled, and with it the backend calls it was waiting for (an httpx call
cancelled closes its connection). A deadline answers 504 (`DEADLINE_EXCEEDED`); a client that
left gets nothing. Mutations are the exception: once one runs it is never cancelled half-way
(its writes and their idempotency records stay whole), and it is bounded by its backends'
timeouts instead.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from collections.abc import Awaitable, Callable
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.access import API_KEY_HEADER
from resolvers.api_keys import split_key

RETRY_AFTER_SECONDS = 1
# the outcomes counted (`gateway_admissions_total{outcome}`) and the reasons a request is cancelled
OUTCOMES = ("admitted", "queued", "refused_busy", "refused_queue_timeout", "refused_key_limit")
CANCEL_REASONS = ("deadline", "disconnect")
_KEY_HEADER = API_KEY_HEADER.lower().encode("latin-1")


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    max_in_flight: int
    max_queued: int
    queue_timeout_seconds: float
    max_per_key: int
    deadline_seconds: float
    refusal_hold_seconds: float = 0.0
    max_held_refusals: int = 0


class AdmissionEvents(Protocol):
    """What admission reports (gateway/metrics.py's Metrics implements it)."""

    def admission(self, outcome: str) -> None: ...

    def cancelled(self, reason: str) -> None: ...


class _Unreported:
    def admission(self, outcome: str) -> None:
        pass

    def cancelled(self, reason: str) -> None:
        pass


class Admission:
    """The middleware: admits, queues or refuses requests to `path`; passes everything else on."""

    def __init__(self, app: ASGIApp, limits: AdmissionLimits, events: AdmissionEvents | None = None,
                 path: str = "/graphql", sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.app = app
        self.sleep = sleep
        self.limits = limits
        self.events: AdmissionEvents = events or _Unreported()
        self.path = path
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.per_key: dict[str, int] = {}  # running and queued requests by key id; no entry at 0
        self.held = 0  # refusals waiting out their hold

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        key = key_id_of(scope)
        held = self.per_key.get(key, 0)
        if held >= self.limits.max_per_key:
            self.events.admission("refused_key_limit")
            await self._hold()
            await refuse(send, 429, "TOO_MANY_CONCURRENT_REQUESTS",
                         f"This API key has {held} requests running or queued on this process, as many as "
                         f"one key may; retry in {RETRY_AFTER_SECONDS} s.")
            return
        self.per_key[key] = held + 1
        try:
            outcome = await self._take_slot()
            self.events.admission(outcome)
            if outcome not in ("admitted", "queued"):
                if outcome == "refused_busy":  # a queue timeout has waited already
                    await self._hold()
                await refuse(send, 503, "OVERLOADED", "The gateway is at its capacity for now; "
                                                      f"retry in {RETRY_AFTER_SECONDS} s.")
                return
            try:
                await self._run(scope, receive, send)
            finally:
                self._release_slot()
        finally:
            if (left := self.per_key[key] - 1) > 0:
                self.per_key[key] = left
            else:
                del self.per_key[key]

    async def _hold(self) -> None:
        """Waits out the refusal hold, unless as many refusals as may be held already are."""
        if self.held >= self.limits.max_held_refusals or self.limits.refusal_hold_seconds <= 0:
            return
        self.held += 1
        try:
            await self.sleep(self.limits.refusal_hold_seconds)
        finally:
            self.held -= 1

    async def _take_slot(self) -> str:
        """A running slot ("admitted" at once, "queued" after waiting), or why not."""
        if self.running < self.limits.max_in_flight and not self.waiting:
            self.running += 1
            return "admitted"
        if len(self.waiting) >= self.limits.max_queued:
            return "refused_busy"
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            async with asyncio.timeout(self.limits.queue_timeout_seconds):
                await turn
            return "queued"
        except TimeoutError:
            if turn.done() and not turn.cancelled():  # handed a slot as the wait ran out: pass it on
                self._release_slot()
            return "refused_queue_timeout"
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release_slot()
            raise
        finally:
            if turn in self.waiting:
                self.waiting.remove(turn)
            turn.cancel()

    def _release_slot(self) -> None:
        """A running slot is free: handed to the longest-waiting request, else given back."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, cancelled at the deadline or when the client disconnects (unless a mutation runs)."""
        loop = asyncio.get_running_loop()
        answered = False  # the response has started: too late for a 504
        ended = False     # the response is complete: nothing left to cancel
        reason = ""
        watcher: asyncio.Task[Message] | None = None
        timeout = asyncio.timeout(None)

        def cancel(why: str) -> None:
            nonlocal reason
            context = scope.get("state", {}).get("gateway_context")
            if ended or reason or getattr(context, "operation_type", None) == "mutation":
                return
            reason = why
            scope["state"]["cancelled"] = why  # for the request metrics
            loaders = getattr(context, "loaders", None)
            if loaders is not None:  # loads run in tasks of their own: cancelled here, with their backend calls
                loaders.cancel_waiting()
            timeout.reschedule(loop.time())

        def watch(task: asyncio.Task[Message]) -> None:
            if not task.cancelled() and task.exception() is None and task.result()["type"] == "http.disconnect":
                cancel("disconnect")

        async def watched_receive() -> Message:
            nonlocal watcher
            if watcher is not None:  # the body is read: what comes next is the disconnect the watcher waits for
                return await asyncio.shield(watcher)
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                watcher = asyncio.ensure_future(receive())
                watcher.add_done_callback(watch)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal answered, ended
            if message["type"] == "http.response.start":
                answered = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                ended = True
            await send(message)

        deadline = loop.call_later(self.limits.deadline_seconds, cancel, "deadline")
        # a query's backend calls end a little sooner, so that it answers with what arrived (schema/directives.py)
        scope.setdefault("state", {})["backend_deadline"] = loop.time() + backend_budget(self.limits.deadline_seconds)
        try:
            async with timeout:
                await self.app(scope, watched_receive, tracked_send)
        except TimeoutError:
            if not reason:
                raise
            self.events.cancelled(reason)
            if reason == "deadline" and not answered:
                await refuse(send, 504, "DEADLINE_EXCEEDED",
                             f"The request ran longer than its deadline of {self.limits.deadline_seconds:g} s "
                             "and was stopped.", retry_after=False)
        finally:
            ended = True
            deadline.cancel()
            if watcher is not None and not watcher.done():
                watcher.cancel()


def backend_budget(deadline_seconds: float) -> float:
    """How long a query's backend calls may take of its deadline: all but a fifth (at most a second),
    the time left to answer."""
    return deadline_seconds - min(1.0, deadline_seconds / 5)


def key_id_of(scope: Scope) -> str:
    """The public id of the request's API key, from the header alone ("" for none or a malformed one)."""
    for name, value in scope["headers"]:
        if name == _KEY_HEADER:
            parts = split_key(value.decode("latin-1").strip())
            return parts[0] if parts else ""
    return ""


async def refuse(send: Send, status: int, code: str, message: str, *, retry_after: bool = True) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after:
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
