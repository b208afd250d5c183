"""A circuit breaker per backend and process: after `failures` failed requests in a row the backend's
calls fail fast (BACKEND_UNAVAILABLE, nothing sent) for `cooldown_seconds`; then one call goes
through as a probe (half-open) while the others still fail fast, and its answer closes the breaker,
or its failure opens it for another cool-down.

A failure is a request the backend failed: it could not be reached, gave no answer within its own
timeout, or answered 5xx or 429. Any other answer, 4xx included, is a success: the backend is up.
What the gateway itself stops (a cancelled request, a client gone, the request's deadline reached,
a wait for a concurrency slot) says nothing of the backend and counts neither way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from domain.errors import BackendUnavailable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)


class BreakerEvents(Protocol):
    def breaker_changed(self, backend: str, state: str) -> None:
        """The backend's breaker is now in `state` (one of STATES); told once when it is made, closed."""

    def breaker_rejected(self, backend: str) -> None:
        """A call failed fast: the breaker is open (or half-open with its probe out)."""


class CircuitBreaker:
    def __init__(self, backend: str, *, failures: int, cooldown_seconds: float,
                 clock: Callable[[], float] = time.monotonic, events: BreakerEvents | None = None) -> None:
        self.backend = backend
        self.threshold = failures
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self.events = events
        self.state = CLOSED
        self.failures = 0  # in a row, while closed
        self.opened_at = 0.0
        self.probing = False  # the half-open breaker's one probe is out
        if events is not None:
            events.breaker_changed(backend, CLOSED)

    @property
    def is_open(self) -> bool:
        """Whether calls fail fast now (open, and its cool-down not over)."""
        return self.state == OPEN and self.clock() - self.opened_at < self.cooldown_seconds

    def admit(self) -> bool:
        """Before a request is sent: whether it is the half-open breaker's probe; raises
        BackendUnavailable (failing fast) when no request may go."""
        if self.state == CLOSED:
            return False
        if self.state == OPEN:
            if self.is_open:
                raise self._rejected()
            self._move(HALF_OPEN)
        if self.probing:
            raise self._rejected()
        self.probing = True
        return True

    def settle(self, probe: bool, succeeded: bool | None) -> None:
        """A request admitted by `admit` ended: it `succeeded` (True), failed (False) or says nothing
        of the backend (None)."""
        if probe:
            self.probing = False
            if succeeded:
                self.failures = 0
                self._move(CLOSED)
            elif succeeded is False:
                self._open()
            return
        if self.state != CLOSED or succeeded is None:
            return  # a request sent before the breaker opened says nothing of the backend's state now
        if succeeded:
            self.failures = 0
        else:
            self.failures += 1
            if self.failures >= self.threshold:
                self._open()

    def _open(self) -> None:
        self.opened_at = self.clock()
        self.failures = 0
        self._move(OPEN)

    def _move(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self.events is not None:
                self.events.breaker_changed(self.backend, state)

    def _rejected(self) -> BackendUnavailable:
        if self.events is not None:
            self.events.breaker_rejected(self.backend)
        if self.state == OPEN:
            left = self.cooldown_seconds - (self.clock() - self.opened_at)
            return BackendUnavailable(self.backend, f"failing fast: the circuit breaker opened after "
                                                    f"{self.threshold} failures in a row; a probe goes in {left:.3g} s")
        return BackendUnavailable(self.backend, "failing fast: the circuit breaker's probe is still out")
