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

from strawberry.dataloader import DataLoader


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


async def load_all[K, V](loader: DataLoader[K, V], keys: Iterable[K]) -> list[V]:
    """`loader.load_many(keys)` without a loop round when every key is loaded already (load_many
    gathers, and a gather settles a round later even over settled futures)."""
    futures = [loader.load(key) for key in keys]
    if all(f.done() for f in futures):  # type: ignore[attr-defined]
        return [f.result() for f in futures]  # type: ignore[attr-defined]
    return list(await asyncio.gather(*futures))


async def settled(futures: Iterable[asyncio.Future[Any]]) -> None:
    """Waits until every future is settled, reading each failure (the fields that need the value
    report it). Awaited one after another: the futures of one DataLoader batch settle together, so
    this wakes about once per batch, where a gather would schedule a callback per future."""
    for future in futures:
        if not future.done():
            await asyncio.wait((future,))
        if not future.cancelled():
            future.exception()  # read here; the fields that use the value report its failure
