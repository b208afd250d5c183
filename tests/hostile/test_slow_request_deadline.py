"""Attack: requests that keep a process waiting for slow backends round after round. Each admitted
request runs within `server.request_deadline_seconds`: past it, it answers 504 with
`DEADLINE_EXCEEDED`, and the backend calls it was still waiting for are cancelled."""

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


async def test_a_request_past_its_deadline_is_stopped_with_its_backend_calls(hurried_gateway, simulators, api_key):
    # given a gateway that knows the ERP's warehouses already, and slow backends
    async with httpx.AsyncClient(base_url=hurried_gateway, timeout=30, headers={"X-API-Key": api_key}) as client:
        assert (await client.post("/graphql", json=lookup("CG-000215"))).status_code == 200
        for sim in simulators.values():
            sim.faults(latency_ms=SLOW_MS)
        before = scrape(hurried_gateway)

        # when a lookup needs two rounds of them
        answer = await client.post("/graphql", json=lookup("CG-000214"))

    # then it is stopped at the deadline, in the GraphQL error shape, and its backend calls with it
    assert answer.status_code == 504, answer.text
    assert answer.json() == {"errors": [{"message": f"The request ran longer than its deadline of {DEADLINE:g} s "
                                                    "and was stopped.",
                                         "extensions": {"code": "DEADLINE_EXCEEDED"}}]}
    assert answer.elapsed.total_seconds() < DEADLINE + 0.2
    after = scrape(hurried_gateway)
    assert cancelled(after, "gateway_cancelled_requests_total", reason="deadline") == \
        cancelled(before, "gateway_cancelled_requests_total", reason="deadline") + 1
    assert cancelled(after, "gateway_backend_requests_total", outcome="cancelled") > \
        cancelled(before, "gateway_backend_requests_total", outcome="cancelled")
