"""The loop every background task runs: a step every `every_seconds` (counted from the step's start),
a failed step logged and tried again at the next interval, whatever it raised: a stopped task would
leave its work undone, unseen, until shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def forever(step: Callable[[], Awaitable[object]], every_seconds: float, what: str) -> None:
    """`what`: the task's name in the log line of a failed step."""
    while True:
        started = time.perf_counter()
        try:
            await step()
        except Exception:  # noqa: BLE001 - logged, and the next interval tries again
            log.warning("%s failed", what, exc_info=True)
        await asyncio.sleep(max(0.0, every_seconds - (time.perf_counter() - started)))
