"""The background tasks outlive a failed step: it is logged and tried again at the next interval,
whatever it raised (a stopped task would leave its work undone, unseen, until shutdown)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from resolvers.holds import expire_forever

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FailingOnce:
    """A hold store whose first expiry pass fails with an error no adapter maps (a bug, say)."""

    def __init__(self) -> None:
        self.calls = 0

    async def expire(self, now: datetime, batch: int) -> int:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("unexpected")
        return 0


async def test_lapsed_holds_are_dropped_again_after_a_pass_that_failed_unexpectedly():
    store = FailingOnce()
    task = asyncio.create_task(expire_forever(store, 0, lambda: T0))  # type: ignore[arg-type]
    for _ in range(20):  # every_seconds = 0: each pass yields once, no time passes
        await asyncio.sleep(0)
    alive = not task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert alive and store.calls > 1
