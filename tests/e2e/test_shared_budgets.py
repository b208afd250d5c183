"""A key's budget holds across gateway processes: two `serve` processes over one MongoDB admit,
together, what the key's bucket holds and no more."""

from __future__ import annotations

import os
import time
from collections import Counter

import httpx
import pytest

from tests.conftest import gateway_environ, issue_key
from tests.servers import ServeProcess

pytestmark = pytest.mark.slow
PER_MINUTE = 20


@pytest.fixture(scope="module")
def two_gateways(simulators, mongo_url):
    env = {**os.environ, **gateway_environ(simulators, mongo_url)}
    first = ServeProcess(env)
    try:
        second = ServeProcess(env)
    except Exception:
        first.stop()
        raise
    yield first.url, second.url
    first.stop()
    second.stop()


def test_two_processes_share_one_request_budget(two_gateways, mongo_url):
    key = issue_key(mongo_url, "frontend", requests_per_minute=PER_MINUTE)
    started = time.monotonic()
    statuses: Counter[tuple[int, int]] = Counter()
    limited: list[httpx.Response] = []
    with httpx.Client(headers={"X-API-Key": key}, timeout=10) as client:
        for i in range(2 * PER_MINUTE):
            process = i % 2
            response = client.post(f"{two_gateways[process]}/graphql", json={"query": "{ channels { code } }"})
            statuses[process, response.status_code] += 1
            if response.status_code == 429:
                limited.append(response)
    refilled = (time.monotonic() - started) * PER_MINUTE / 60
    admitted = statuses[0, 200] + statuses[1, 200]
    # both processes served the key, and together no more than the bucket plus its refill
    assert statuses[0, 200] > 0 and statuses[1, 200] > 0
    assert PER_MINUTE <= admitted <= PER_MINUTE + int(refilled) + 1, statuses
    assert statuses[0, 200] + statuses[0, 429] + statuses[1, 200] + statuses[1, 429] == 2 * PER_MINUTE

    refusal = limited[0]
    assert int(refusal.headers["retry-after"]) >= 1
    assert refusal.headers["ratelimit-policy"].startswith(f'"requests";q={PER_MINUTE};w=60')
    assert refusal.headers["ratelimit"].startswith('"requests";r=0;')
    assert refusal.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
