"""Attack: one API key sends more requests at once than a key may have running or queued on a
process (`server.max_in_flight_per_key`). Its requests beyond the limit get 429 with `Retry-After`
after the refusal hold (so that a client sending again at once cannot spin the process), well
before the admitted ones, and another key's request is served meanwhile."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import UNLIMITED, issue_key, served_gateway
from tests.hostile.conftest import assert_responsive
from tests.hostile.overload import SLOW_MS, flood, timed_post

PER_KEY, FLOOD, HOLD = 3, 20, 0.1


@pytest.fixture(scope="module")
def keyed_gateway(simulators, mongo_url):
    with served_gateway(simulators, mongo_url, CGW_SERVER__MAX_IN_FLIGHT_PER_KEY=str(PER_KEY),
                        CGW_SERVER__REFUSAL_HOLD_SECONDS=str(HOLD)) as url:
        yield url


@pytest.fixture(scope="module")
def two_keys(mongo_url) -> tuple[str, str]:
    return issue_key(mongo_url, name="flooder", **UNLIMITED), issue_key(mongo_url, name="bystander", **UNLIMITED)


async def test_a_flooding_key_gets_429_while_another_key_is_served(keyed_gateway, simulators, two_keys):
    # given slow backends, a flooding key and another key
    for sim in simulators.values():
        sim.faults(latency_ms=SLOW_MS)
    flooder, other = two_keys

    # when the flooder sends 20 lookups at once and, meanwhile, the other key sends one
    attack = asyncio.ensure_future(flood(keyed_gateway, [flooder], FLOOD))
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=keyed_gateway, timeout=30) as client:
        bystander, _ = await timed_post(client, other)
    answers = await attack

    # then the flooder has its limit's worth answered and the rest refused after the hold, before a backend
    # round; the other key is served
    statuses = sorted(a.status_code for a, _ in answers)
    assert statuses == [200] * PER_KEY + [429] * (FLOOD - PER_KEY), statuses
    for answer, took in answers:
        if answer.status_code == 429:
            assert answer.headers["retry-after"] == "1"
            assert answer.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_CONCURRENT_REQUESTS"
            assert HOLD <= took < HOLD + SLOW_MS / 1000, f"a refusal took {took * 1000:.0f} ms"
    assert bystander.status_code == 200, bystander.text
    assert bystander.json()["data"]["product"]["sku"] == "CG-000001"


async def test_a_key_that_sends_again_the_moment_it_is_refused_is_refused_at_the_pace_of_the_hold(
        keyed_gateway, simulators, two_keys, api_key):
    # given slow backends, so the flooder's first requests hold its places
    for sim in simulators.values():
        sim.faults(latency_ms=SLOW_MS)
    flooder, _ = two_keys
    connections, seconds = 10, 1.0
    refusals = 0

    async def spin(client: httpx.AsyncClient, until: float) -> None:
        nonlocal refusals
        while asyncio.get_running_loop().time() < until:
            answer, _ = await timed_post(client, flooder)
            refusals += answer.status_code == 429

    # when ten connections of the key send again the moment they are answered, for a second
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=keyed_gateway, timeout=30, limits=limits) as client:
        until = asyncio.get_running_loop().time() + seconds
        await assert_responsive(keyed_gateway, api_key, asyncio.gather(*(spin(client, until)
                                                                          for _ in range(connections))))

    # then each refused connection was answered about once per hold, not as fast as it could send
    # (without the hold, hundreds a second), and the process stayed responsive meanwhile
    assert refusals <= connections * (seconds / HOLD + 1), refusals
