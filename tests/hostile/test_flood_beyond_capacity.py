"""Attack: more requests at once than one process can run (slow backends, so each holds its slot).
The process runs `server.max_in_flight` of them, queues `server.max_queued`, and refuses the rest
after the short refusal hold with 503, `Retry-After` and a GraphQL-shaped error, before reading their bodies; what it
admitted still answers, and a cheap request meanwhile is answered or refused within 100 ms,
never left waiting."""

from __future__ import annotations

import pytest

from tests.conftest import UNLIMITED, issue_key, served_gateway
from tests.hostile.conftest import assert_responsive
from tests.hostile.overload import SLOW_MS, flood

IN_FLIGHT, QUEUED, FLOOD, HOLD = 4, 2, 30, 0.05


@pytest.fixture(scope="module")
def small_gateway(simulators, mongo_url):
    with served_gateway(simulators, mongo_url, CGW_SERVER__MAX_IN_FLIGHT=str(IN_FLIGHT),
                        CGW_SERVER__MAX_QUEUED=str(QUEUED), CGW_SERVER__QUEUE_TIMEOUT_SECONDS="5",
                        CGW_SERVER__MAX_IN_FLIGHT_PER_KEY="1000",
                        CGW_SERVER__REFUSAL_HOLD_SECONDS=str(HOLD)) as url:
        yield url


@pytest.fixture(scope="module")
def flooders(mongo_url) -> list[str]:
    return [issue_key(mongo_url, name=f"flooder {n}", **UNLIMITED) for n in range(3)]


async def test_a_flood_beyond_capacity_is_refused_at_once_and_the_admitted_answer(small_gateway, simulators,
                                                                                   flooders, api_key):
    # given slow backends and flooding keys
    for sim in simulators.values():
        sim.faults(latency_ms=SLOW_MS)
    keys = flooders

    # when 30 lookups arrive at once, while cheap requests probe the process
    answers = await assert_responsive(small_gateway, api_key, flood(small_gateway, keys, FLOOD),
                                      statuses=(200, 503))

    # then the process runs and queues what it can; the rest is refused, in the GraphQL shape
    ok = [(a, t) for a, t in answers if a.status_code == 200]
    refused = [(a, t) for a, t in answers if a.status_code == 503]
    assert len(ok) + len(refused) == FLOOD, [a.status_code for a, _ in answers]
    assert IN_FLIGHT <= len(ok) <= IN_FLIGHT + QUEUED + 2  # (a probe may have taken a slot)
    assert all(a.json()["data"]["product"]["sku"] == "CG-000001" for a, _ in ok)
    for answer, took in refused:
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
        assert set(answer.json()) == {"errors"}
    # after the hold, and quicker than one round of backend calls, where each admitted lookup waits for two
    times = sorted(t for _, t in refused)
    assert times[0] >= HOLD and times[len(times) // 2] < SLOW_MS / 1000 and times[-1] < 2 * SLOW_MS / 1000, times
