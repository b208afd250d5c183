"""The `[subscriptions]` section of the settings (README: Subscriptions), and what is wrong with it.
gateway/settings.py reads and validates it with the rest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubscriptionSettings:
    enabled: bool = True  # false: /graphql refuses WebSocket upgrades and no event follower runs
    poll_seconds: float = 0.1  # how often the process reads the event log for new events
    max_per_connection: int = 20  # operations one connection runs at once
    max_connections_per_key: int = 50  # open connections of one API key, counted per gateway process
    init_timeout_seconds: float = 10.0  # a connection without `connection_init` by then is closed (4408)
    ping_seconds: float = 30.0  # the server pings an idle connection this often; 0: never
    pong_timeout_seconds: float = 10.0  # a connection that has not answered a ping by then is closed (4504)
    max_message_bytes: int = 65_536  # a larger client message closes the connection (1009)
    max_skus: int = 100  # SKUs one stockChanged/priceChanged/productChanged subscription may name


def problem(s: SubscriptionSettings) -> str | None:
    """The first thing wrong with the section, as one line naming the setting; None when all is well."""
    for name in ("poll_seconds", "init_timeout_seconds", "pong_timeout_seconds"):
        if getattr(s, name) <= 0:
            return f"subscriptions.{name}: must be above 0"
    if s.ping_seconds < 0:
        return "subscriptions.ping_seconds: must be 0 (no pings) or more"
    for name in ("max_per_connection", "max_connections_per_key", "max_message_bytes", "max_skus"):
        if getattr(s, name) < 1:
            return f"subscriptions.{name}: must be at least 1"
    return None
