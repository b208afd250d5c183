"""One deadline for all the backend calls of one operation, carried by a context variable so
that the tasks an operation starts (loaders, gathers) see it too. It is a point in event-loop
time; the adapters end each call at its backend's timeout or at this deadline, whichever comes
first (adapters/deadline.py), and the gateway sets it around a query from the request's own
deadline (gateway/admission.py, schema/directives.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("commerce_gateway_backend_deadline", default=None)


@contextlib.contextmanager
def deadline_at(when: float | None) -> Iterator[None]:
    """Backend calls made inside end by `when` (event-loop time); nested scopes keep the sooner
    deadline; None sets none."""
    if when is None:
        yield
        return
    outer = _DEADLINE.get()
    token = _DEADLINE.set(when if outer is None else min(when, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def hold_to(when: float | None) -> None:
    """Backend calls made from now on in this context (a request's own task, and the tasks it
    starts) end by `when`, or by a sooner deadline already set; None sets none. For a caller that
    cannot wrap the calls in `deadline_at`, such as a schema extension, whose generator may be
    closed in another context."""
    if when is not None:
        outer = _DEADLINE.get()
        _DEADLINE.set(when if outer is None else min(when, outer))


def current_deadline() -> float | None:
    """The operation's deadline in event-loop time; None outside a deadline's scope."""
    return _DEADLINE.get()
