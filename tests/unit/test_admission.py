"""Admission control on a fake app: slots, the queue and its time limit, the per-key cap, the
deadline, and a slot handed over exactly once."""

from __future__ import annotations

import asyncio
import json

from gateway.admission import Admission, AdmissionLimits

KEY_A, KEY_B = "cgw_aaaa_secret", "cgw_bbbb_secret"


class Events:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def admission(self, outcome: str) -> None:
        self.seen.append(outcome)

    def cancelled(self, reason: str) -> None:
        self.seen.append(f"cancelled {reason}")


def admission(release: asyncio.Event, events: Events, sleep=asyncio.sleep, **limits: float) -> Admission:
    async def app(scope, receive, send) -> None:
        await receive()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    given = {"max_in_flight": 2, "max_queued": 1, "queue_timeout_seconds": 5.0, "max_per_key": 10,
             "deadline_seconds": 5.0, **limits}
    return Admission(app, AdmissionLimits(**given), events, sleep=sleep)  # type: ignore[arg-type]


async def call(middleware: Admission, key: str = KEY_A) -> tuple[int, dict[str, str], dict | None]:
    sent: list[dict] = []
    read: list[bool] = []

    async def receive() -> dict:  # the body once; then a client that stays connected
        if read:
            await asyncio.sleep(3600)
        read.append(True)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/graphql", "method": "POST", "headers": [(b"x-api-key", key.encode())],
             "state": {}}
    await middleware(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, json.loads(body) if body else None


async def test_beyond_the_slots_and_the_queue_a_request_is_refused_at_once_and_the_queued_one_runs_next():
    # given a process with two slots and a queue of one
    release, events = asyncio.Event(), Events()
    middleware = admission(release, events)
    running = [asyncio.ensure_future(call(middleware)) for _ in range(3)]
    await asyncio.sleep(0.01)

    # when a fourth request arrives
    status, headers, body = await call(middleware)

    # then it is refused at once; once the slots free, the queued one runs too, and every slot is given back
    assert (status, headers["retry-after"], body["errors"][0]["extensions"]["code"]) == (503, "1", "OVERLOADED")
    release.set()
    assert [r[0] for r in await asyncio.gather(*running)] == [200, 200, 200]
    assert sorted(events.seen) == ["admitted", "admitted", "queued", "refused_busy"]
    assert (middleware.running, len(middleware.waiting), middleware.per_key) == (0, 0, {})


async def test_a_request_waits_in_the_queue_no_longer_than_its_time_limit():
    release, events = asyncio.Event(), Events()
    middleware = admission(release, events, max_in_flight=1, queue_timeout_seconds=0.05)
    first = asyncio.ensure_future(call(middleware))
    await asyncio.sleep(0.01)
    status, _, body = await call(middleware)
    assert (status, body["errors"][0]["extensions"]["code"]) == (503, "OVERLOADED")
    release.set()
    assert (await first)[0] == 200
    assert events.seen == ["admitted", "refused_queue_timeout"] and middleware.running == 0


async def test_a_key_at_its_cap_gets_429_while_another_key_is_admitted():
    release, events = asyncio.Event(), Events()
    middleware = admission(release, events, max_per_key=1)
    first = asyncio.ensure_future(call(middleware, KEY_A))
    await asyncio.sleep(0.01)
    status, headers, body = await call(middleware, KEY_A)
    assert (status, headers["retry-after"], body["errors"][0]["extensions"]["code"]) == \
        (429, "1", "TOO_MANY_CONCURRENT_REQUESTS")
    other = asyncio.ensure_future(call(middleware, KEY_B))
    release.set()
    assert [(await first)[0], (await other)[0]] == [200, 200]
    assert middleware.per_key == {}


async def test_a_request_past_its_deadline_is_cancelled_and_answers_504():
    release, events = asyncio.Event(), Events()
    middleware = admission(release, events, deadline_seconds=0.05)
    status, headers, body = await call(middleware)
    assert (status, body["errors"][0]["extensions"]["code"]) == (504, "DEADLINE_EXCEEDED")
    assert "retry-after" not in headers
    assert events.seen == ["admitted", "cancelled deadline"] and middleware.running == 0


class HeldSleep:
    """A sleep that lasts until the test lets it end, and records what it was asked for."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.over = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self.over.wait()


async def test_a_refusal_is_held_before_it_is_answered_and_beyond_the_held_cap_answered_at_once():
    # given a key at its cap, and refusals held 0.5 s, at most two at once
    release, events, sleep = asyncio.Event(), Events(), HeldSleep()
    middleware = admission(release, events, sleep=sleep, max_per_key=1, refusal_hold_seconds=0.5,
                           max_held_refusals=2)
    first = asyncio.ensure_future(call(middleware, KEY_A))
    await asyncio.sleep(0.01)

    # when four more requests of the key arrive
    refused = [asyncio.ensure_future(call(middleware, KEY_A)) for _ in range(4)]
    await asyncio.sleep(0.01)

    # then two are held (unanswered, costing a timer), and the two beyond the cap are answered at once
    assert sleep.asked == [0.5, 0.5] and middleware.held == 2
    assert [r.done() for r in refused] == [False, False, True, True]
    sleep.over.set()
    assert [(await r)[0] for r in refused] == [429] * 4
    assert middleware.held == 0
    release.set()
    assert (await first)[0] == 200 and middleware.per_key == {}


async def test_a_busy_refusal_is_held_but_a_queue_timeout_is_not_held_again():
    release, events, sleep = asyncio.Event(), Events(), HeldSleep()
    sleep.over.set()
    middleware = admission(release, events, sleep=sleep, max_in_flight=1, max_queued=1, queue_timeout_seconds=0.05,
                           refusal_hold_seconds=0.5, max_held_refusals=10)
    first = asyncio.ensure_future(call(middleware))
    await asyncio.sleep(0.01)
    queued = asyncio.ensure_future(call(middleware))
    await asyncio.sleep(0.01)
    assert (await call(middleware))[0] == 503  # the queue is full: refused, after the hold
    assert (await queued)[0] == 503  # waited out its queue time: refused without a second wait
    assert sleep.asked == [0.5]
    release.set()
    assert (await first)[0] == 200
