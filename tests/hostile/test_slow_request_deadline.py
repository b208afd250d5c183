"""Attack: requests that keep a process waiting for slow backends round after round. Each admitted
request runs within `server.request_deadline_seconds`: a query's backend calls end a little before
it (a fifth of it, at most a second, is left to answer), so the query answers in time with what
arrived and the rest as BACKEND_TIMEOUT; what still runs at the deadline itself is cancelled with a
504 (tests/unit/test_admission.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import scrape, served_gateway
from tests.hostile.test_client_disconnects import cancelled, lookup
from tests.hostile.overload import SLOW_MS

DEADLINE = 0.4  # the first round (0.3 s) fits, the second does not


@pytest.fixture(scope="module")
def hurried_gateway(simulators, mongo_url):
    with served_gateway(simulators, mongo_url, CGW_SERVER__REQUEST_DEADLINE_SECONDS=str(DEADLINE)) as url:
        yield url


async def test_a_query_past_its_deadline_answers_in_time_with_what_arrived(hurried_gateway, simulators, api_key):
    # given a gateway that knows the ERP's warehouses already, and slow backends
    async with httpx.AsyncClient(base_url=hurried_gateway, timeout=30, headers={"X-API-Key": api_key}) as client:
        assert (await client.post("/graphql", json=lookup("CG-000215"))).status_code == 200
        for sim in simulators.values():
            sim.faults(latency_ms=SLOW_MS)
        before = scrape(hurried_gateway)

        # when a lookup needs two rounds of them
        answer = await client.post("/graphql", json=lookup("CG-000214"))

    # then it answers within the deadline, in the GraphQL shape: what arrived, the rest as backend timeouts
    assert answer.status_code == 200, answer.text
    assert answer.elapsed.total_seconds() < DEADLINE
    body = answer.json()
    assert body["data"]["product"]["sku"] == "CG-000214" and body["data"]["product"]["priceRange"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BACKEND_TIMEOUT"}
    # and the backend calls it no longer waited for were cut short, not left to run
    after = scrape(hurried_gateway)
    assert cancelled(after, "gateway_backend_requests_total", outcome="timeout") > \
        cancelled(before, "gateway_backend_requests_total", outcome="timeout")
