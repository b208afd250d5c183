"""The `[webhooks]` section of the settings (README: Partner webhooks), and what is wrong with it.
gateway/settings.py reads and validates it with the rest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookSettings:
    every_seconds: float = 1.0  # the worker's pass: events read, deliveries decided and sent; 0: no worker here
    max_attempts: int = 8  # attempts of one delivery before it is given up
    backoff_base_seconds: float = 30.0  # the wait after a failed attempt, doubled after each, at most backoff_max
    backoff_max_seconds: float = 3600.0
    disable_after: int = 20  # failed attempts in a row (any delivery) that disable an endpoint
    timeout_seconds: float = 10.0  # one POST as a whole: connecting, sending, the answer's status
    secret_grace_seconds: float = 86_400.0  # after a rotation the old secret signs alongside the new one this long
    max_endpoints_per_key: int = 10
    allow_http: bool = False  # http:// endpoint URLs (tests, a receiver on the same host); https only when false
    allow_private_targets: bool = False  # send to private, loopback and link-local addresses (never in production)


def problem(w: WebhookSettings) -> str | None:
    """The first thing wrong with the section, as one line naming the setting; None when all is well."""
    if w.every_seconds < 0:
        return "webhooks.every_seconds: must be 0 (no worker in this process) or more"
    for name in ("max_attempts", "disable_after", "max_endpoints_per_key"):
        if getattr(w, name) < 1:
            return f"webhooks.{name}: must be at least 1"
    for name in ("backoff_base_seconds", "backoff_max_seconds", "secret_grace_seconds"):
        if getattr(w, name) < 0:
            return f"webhooks.{name}: must be 0 or more"
    if not 0 < w.timeout_seconds <= 60:
        return "webhooks.timeout_seconds: must be within (0, 60]"
    return None
