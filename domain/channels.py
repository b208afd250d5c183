"""Sales channels: every operation sees the prices and stock of exactly one."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    WEB = "WEB"
    APP = "APP"
    STORE = "STORE"
    CALL_CENTER = "CALL_CENTER"
    MARKETPLACE = "MARKETPLACE"

    @classmethod
    def parse(cls, raw: str) -> Channel:
        """Accepts any letter case; raises ValueError naming the allowed codes."""
        try:
            return cls(raw.strip().upper())
        except ValueError:
            allowed = ", ".join(c.value for c in cls)
            raise ValueError(f"unknown channel {raw!r}; allowed: {allowed}") from None
