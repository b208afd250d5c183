"""Attack: start requests that wait for slow backends and hang up at once, over and over, so the
process keeps working for clients that left. A client that disconnects has its request cancelled,
and with it the backend calls it was waiting for: the later rounds are never sent."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.conftest import scrape
from tests.hostile.overload import SLOW_MS


def lookup(sku: str) -> dict:
    return {"query": f'{{ product(sku: "{sku}") {{ sku priceRange {{ minVariantPrice {{ amount }} }} '
                     f'totalInventory storeAvailability(first: 2) {{ quantity }} }} }}'}


def backend_calls(simulators) -> int:
    return sum(sim.http.get("/__stats").json()["total"] for sim in simulators.values())


def forget_calls(simulators) -> None:
    for sim in simulators.values():
        sim.http.delete("/__stats")


async def hang_up_after(base_url: str, api_key: str, body: dict, seconds: float) -> None:
    """Sends the request over a socket of its own and closes it `seconds` later, unanswered."""
    host, port = base_url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                 b"X-API-Key: " + api_key.encode() + b"\r\nContent-Length: " + str(len(payload)).encode() +
                 b"\r\n\r\n" + payload)
    await writer.drain()
    await asyncio.sleep(seconds)
    writer.close()
    await writer.wait_closed()


def cancelled(metrics: dict, name: str, **labels: str) -> float:
    return sum(value for found, value in metrics.get(name, {}).items()
               if all(dict(found).get(k) == v for k, v in labels.items()))


async def test_a_client_that_hangs_up_cancels_its_backend_calls(gateway, simulators, api_key):
    # given slow backends, and what one whole lookup costs them (ERP warehouses already known)
    for sim in simulators.values():
        sim.faults(latency_ms=SLOW_MS)
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers={"X-API-Key": api_key}) as client:
        assert (await client.post("/graphql", json=lookup("CG-000211"))).status_code == 200
        forget_calls(simulators)
        whole = await client.post("/graphql", json=lookup("CG-000212"))
    assert whole.json()["data"]["product"]["sku"] == "CG-000212", whole.text
    whole_calls = backend_calls(simulators)
    before = scrape(gateway)

    # when a client sends the same lookup of another product and hangs up during its first round
    forget_calls(simulators)
    await hang_up_after(gateway, api_key, lookup("CG-000213"), SLOW_MS / 1000 / 2)
    await asyncio.sleep(3 * SLOW_MS / 1000)  # as long as the rest of the lookup would have taken

    # then the request was cancelled in its first round: its calls there were cut, the later ones never sent
    after = scrape(gateway)
    assert backend_calls(simulators) < whole_calls
    assert cancelled(after, "gateway_cancelled_requests_total", reason="disconnect") == \
        cancelled(before, "gateway_cancelled_requests_total", reason="disconnect") + 1
    assert cancelled(after, "gateway_backend_requests_total", outcome="cancelled") > \
        cancelled(before, "gateway_backend_requests_total", outcome="cancelled")
