"""A clock that stands still until a test moves it: given to the simulators (which stamp changes with
it) and to a gateway (which reads it as now), it replaces sleeping until time has passed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class MovingClock:
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
