"""One deadline for all the backend calls of one request.

A request's backend calls (and the tasks it starts: loaders, `asyncio.gather`) see the deadline set
around it through a context variable. `BackendHttp` ends each call at its backend's timeout or at
the request's deadline, whichever comes first; time spent waiting for a connection or a
concurrency slot counts against both.

The gateway sets it around a request's handling:

    with request_deadline(seconds):
        ...  # every backend call made in here (and in tasks started in here) ends within `seconds`

Nested scopes keep the sooner deadline. Without a scope, each call has its backend's timeout only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("commerce_gateway_request_deadline", default=None)


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[float]:
    """Backend calls made inside end within `seconds` from now (event-loop time); yields the deadline."""
    when = asyncio.get_running_loop().time() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(when if outer is None else min(when, outer))
    try:
        yield when
    finally:
        _DEADLINE.reset(token)


def current_deadline() -> float | None:
    """The request's deadline in event-loop time; None outside a `request_deadline` scope."""
    return _DEADLINE.get()


def deadline_after(seconds: float) -> float:
    """When something that may take `seconds` from now must end: then, or sooner at the request's deadline."""
    when = asyncio.get_running_loop().time() + seconds
    request = _DEADLINE.get()
    return when if request is None else min(when, request)
