"""Clocks a test moves: given to the simulators (which stamp changes with them) and to a gateway
(which reads them as now), they replace sleeping until time has passed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class MovingClock:
    """Stands still until the test moves it: every stamp and every lease is the test's doing."""

    def __init__(self, start: datetime | None = None) -> None:
        # a whole second: the ERP stamps `write_date` to the second, so a stamp reads back as it was made
        self._now = start or datetime.now(UTC).replace(microsecond=0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


class JumpingClock:
    """Runs with real time, and jumps ahead when the test moves it: for gateways whose background
    work (polls under a lease) must go on by itself while a test skips a settle time."""

    def __init__(self) -> None:
        self._ahead = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._ahead += timedelta(seconds=seconds)
            return self()
