"""The `[reminders]` and `[smtp]` sections of the settings (README: Reminders and alerts), and what
is wrong with them. gateway/settings.py reads and validates them with the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

DEMO_UNSUBSCRIBE_SECRET = "demo-unsubscribe-secret-replace-me-0123456789"  # published: never in production


@dataclass(frozen=True)
class ReminderSettings:
    every_seconds: float = 0.0  # the worker's pass (and lease) interval; 0: no worker runs in this process
    low_stock_units: int = 10  # a saved item at or below this many units is low in stock
    price_drop_min_percent: float = 5.0  # smaller price drops are not told
    cart_reminder_hours: float = 24.0  # a signed-in customer's cart untouched this long is reminded
    daily_cap: int = 3  # e-mails and webhooks per customer within 24 hours; more are recorded as suppressed
    max_attempts: int = 6  # delivery attempts of one message before it is given up (FAILED, with its last error)
    retry_base_seconds: float = 60.0  # the wait after a failed attempt, doubled after each, at most retry_max
    retry_max_seconds: float = 3600.0
    # the product in each channel: a template with {sku}; a channel without one takes WEB's
    links: dict[str, str] = field(default_factory=lambda: {"WEB": "https://shop.example.com/p/{sku}",
                                                           "APP": "shopapp://product/{sku}"})
    public_url: str = "http://127.0.0.1:8000"  # the gateway as e-mail readers reach it: the unsubscribe link
    unsubscribe_secret: str = DEMO_UNSUBSCRIBE_SECRET  # signs the e-mails' unsubscribe tokens; at least 32 bytes
    webhook_url: str = ""  # the retailer's messaging tool; empty: no webhooks
    webhook_secret: str = ""  # signs each webhook (README: the signature scheme); at least 16 bytes
    webhook_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""  # the mail server; empty: no e-mail is sent (nor offered to customers)
    port: int = 25
    from_address: str = "reminders@shop.example.com"
    tls: Literal["none", "starttls", "tls"] = "none"  # tls: implicit TLS (port 465); starttls: upgrade (587)
    username: str = ""
    password: str = ""  # never logged
    timeout_seconds: float = 10.0


def problem(r: ReminderSettings, smtp: SmtpSettings, channels: set[str], production: bool) -> str | None:
    """The first thing wrong with the sections, as one line naming the setting; None when all is well."""
    numbers = {"every_seconds": r.every_seconds, "low_stock_units": r.low_stock_units, "daily_cap": r.daily_cap,
               "price_drop_min_percent": r.price_drop_min_percent, "retry_base_seconds": r.retry_base_seconds,
               "retry_max_seconds": r.retry_max_seconds, "webhook_timeout_seconds": r.webhook_timeout_seconds}
    for name, value in numbers.items():
        if value < 0:
            return f"reminders.{name}: must be 0 or more"
    if r.max_attempts < 1 or r.cart_reminder_hours <= 0:
        return "reminders.max_attempts and reminders.cart_reminder_hours: must be above 0"
    for channel, template in r.links.items():
        if channel.upper() not in channels:
            return f"reminders.links.{channel}: not a configured channel ({', '.join(sorted(channels))})"
        if "{sku}" not in template:
            return f"reminders.links.{channel}: the template needs {{sku}}, e.g. https://shop.example.com/p/{{sku}}"
    if "WEB" not in {c.upper() for c in r.links}:
        return "reminders.links.WEB: required (the link of a channel without its own template)"
    if not re.fullmatch(r"https?://[^\s]+", r.public_url):
        return f"reminders.public_url: {r.public_url!r} is not an http(s) URL"
    if len(r.unsubscribe_secret.encode()) < 32:
        return "reminders.unsubscribe_secret: at least 32 bytes"
    if production and smtp.host and r.unsubscribe_secret == DEMO_UNSUBSCRIBE_SECRET:
        return ("reminders.unsubscribe_secret: the demo's published secret is refused with server.production = true "
                "and e-mail on (smtp.host)")
    if r.webhook_url:
        if not re.fullmatch(r"https?://[^\s]+", r.webhook_url):
            return f"reminders.webhook_url: {r.webhook_url!r} is not an http(s) URL"
        if len(r.webhook_secret.encode()) < 16:
            return "reminders.webhook_secret: at least 16 bytes with reminders.webhook_url"
    if smtp.host:
        if not 1 <= smtp.port <= 65535:
            return f"smtp.port: must be 1..65535 (got {smtp.port})"
        if "@" not in smtp.from_address:
            return f"smtp.from_address: {smtp.from_address!r} is not an e-mail address"
        if bool(smtp.username) != bool(smtp.password):
            return "smtp.username and smtp.password: both or neither"
    return None
