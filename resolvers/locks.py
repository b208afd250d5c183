"""Waiting for a named lock (domain.ports.Locks) around a write that must not run twice at once in
any gateway process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from resolvers.context import Services


@contextlib.asynccontextmanager
async def exclusively(services: Services, name: str, hold: timedelta, wait_seconds: float) -> AsyncIterator[bool]:
    """Holds `name` for the block (True), after waiting up to `wait_seconds` for another holder to
    finish; False when it did not. Without a lock store (tests of the catalog alone), always True."""
    locks = services.locks
    if locks is None:
        yield True
        return
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + wait_seconds, 0.01
    while (token := await locks.acquire(name, services.clock(), hold)) is None:
        if loop.time() >= deadline:
            yield False
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.25)
    try:
        yield True
    finally:
        await locks.release(name, token)
