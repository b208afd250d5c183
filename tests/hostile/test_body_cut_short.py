"""Attack: requests whose client hangs up halfway through sending the body (a flood of such is
cheap to make). The gateway drops them quietly: no "Exception in ASGI application" with a stack
trace in the log for each, and the process goes on answering."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import httpx
import pytest


async def send_half_a_body(base_url: str, api_key: str) -> None:
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(("POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                  f"X-API-Key: {api_key}\r\nContent-Length: 4000\r\n\r\n" + '{"query": "{ __typename').encode())
    await writer.drain()
    await asyncio.sleep(0.05)  # the gateway is reading the body by now
    writer.close()
    await writer.wait_closed()


async def test_a_body_cut_short_is_dropped_without_a_stack_trace(gateway, api_key, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.ERROR)
    for logger in ("uvicorn", "uvicorn.error"):
        logging.getLogger(logger).propagate = True  # so that caplog sees what uvicorn logs
    await asyncio.gather(*(send_half_a_body(gateway, api_key) for _ in range(20)))
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": api_key}) as client:
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
    traces = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert traces == [], [r.getMessage() for r in traces][:3]
