"""One deadline for all the backend calls of one request.

A request's backend calls (and the tasks it starts: loaders, `asyncio.gather`) see the deadline set
around it through a context variable. `BackendHttp` ends each call at its backend's timeout or at
the request's deadline, whichever comes first; time spent waiting for a connection or a
concurrency slot counts against both.

The gateway sets it around a query, a little before the request's own deadline (so that what
arrived is answered, with the rest as backend timeouts, instead of a 504): gateway/admission.py
works it out, schema/directives.py applies it. Adapters and tests may set one too:

    with request_deadline(seconds):
        ...  # every backend call made in here (and in tasks started in here) ends within `seconds`

Nested scopes keep the sooner deadline. Without a scope, each call has its backend's timeout only.
The variable itself lives in domain/deadlines.py, where the layers above may set it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from domain.deadlines import current_deadline, deadline_at

__all__ = ["current_deadline", "deadline_after", "request_deadline"]


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[float]:
    """Backend calls made inside end within `seconds` from now (event-loop time); yields the deadline."""
    when = asyncio.get_running_loop().time() + seconds
    with deadline_at(when):
        yield when


def deadline_after(seconds: float) -> float:
    """When something that may take `seconds` from now must end: then, or sooner at the request's deadline."""
    when = asyncio.get_running_loop().time() + seconds
    request = current_deadline()
    return when if request is None else min(when, request)
