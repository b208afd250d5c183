"""Attacks on a live gateway, one test per attack: each asserts the attack is refused (or costs
what it should) and, for those that could stall a process, that a cheap request to the same
process still answers quickly while the attack runs (`assert_responsive`)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable

import httpx

CHEAP = {"query": "{ __typename }"}
QUICK_SECONDS = 0.1  # what a cheap request may take while an attack runs (median of the probes)
WORST_SECONDS = 1.0  # and the slowest probe: one may meet a garbage collection or the other core's load


async def assert_responsive[T](base_url: str, api_key: str, attack: Awaitable[T], *, probes: int = 8,
                               statuses: tuple[int, ...] = (200,)) -> T:
    """Runs `attack` and, while it runs, sends cheap requests to the same gateway one after
    another; their median answer time must stay within QUICK_SECONDS and the slowest within
    WORST_SECONDS. Returns what the attack returned. `statuses`: what a probe may get (a flood
    beyond the process's capacity may refuse it with 503, at once, as it refuses any request)."""
    running = asyncio.ensure_future(attack)
    times: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": api_key}, timeout=10) as client:
        await asyncio.sleep(0.05)  # let the attack reach the gateway first
        for _ in range(probes):
            started = time.perf_counter()
            answer = await client.post("/graphql", json=CHEAP)
            times.append(time.perf_counter() - started)
            assert answer.status_code in statuses, answer.text
            if running.done():
                break
    result = await running
    assert times, "the attack ended before a probe could be sent"
    assert statistics.median(times) <= QUICK_SECONDS and max(times) <= WORST_SECONDS, (
        f"cheap requests took {[round(t * 1000) for t in times]} ms while the attack ran")
    return result
