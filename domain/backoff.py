"""The wait before trying again after failures, as the background work shares it (reminder and
partner webhook deliveries, the marketplace push and order import)."""

from __future__ import annotations

from datetime import timedelta


def doubled(base: timedelta, most: timedelta, attempts: int) -> timedelta:
    """`base` after the first failed attempt, doubled after each further one, at most `most`. Reckoned in
    seconds, so that a long run of failures never overflows what a timedelta holds."""
    seconds = base.total_seconds() * 2.0 ** min(max(0, attempts - 1), 64)
    return most if seconds >= most.total_seconds() else timedelta(seconds=seconds)
