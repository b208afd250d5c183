"""Running resolver coroutines eagerly: most wait only on DataLoader futures that are already
settled, and then finish in their first step, without an event-loop round.

Each coroutine runs as an eagerly started task (`asyncio.Task(..., eager_start=True)`): it runs at
once, in a task of its own, so code that is bound to its task (anyio's cancel scopes inside httpx)
stays correct when it does wait. A task that finished is read at once; one that waits is handed
back to be awaited together with the others, so their loads batch as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any


class Waiting:
    """A coroutine that did not finish in its first step; await `task`."""

    __slots__ = ("task",)

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task


def step(coro: Coroutine[Any, Any, Any]) -> Any:
    """The coroutine's value when it finishes without waiting, else a `Waiting`. Its exception is
    raised here when it fails without waiting."""
    task = asyncio.Task(coro, loop=asyncio.get_running_loop(), eager_start=True)
    if task.done():
        return task.result()
    return Waiting(task)


async def gather_eagerly[T](coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """`asyncio.gather` for coroutines that mostly finish at once, without a loop round for those.
    As with gather, the first exception is raised and the other tasks go on."""
    loop = asyncio.get_running_loop()
    tasks = [asyncio.Task(coro, loop=loop, eager_start=True) for coro in coros]
    if all(task.done() for task in tasks):
        failures = [e for e in (task.exception() for task in tasks) if e is not None]  # each one read
        if failures:
            raise failures[0]
        return [task.result() for task in tasks]
    return list(await asyncio.gather(*tasks))
