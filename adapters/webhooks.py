"""Signed webhooks to the retailer's own messaging tools, in the Standard Webhooks scheme
(standardwebhooks.com): a POST of JSON with

- `webhook-id`: the event id, the same on every attempt (the receiver's idempotency key);
- `webhook-timestamp`: Unix seconds of this attempt (a receiver refuses old ones: replay);
- `webhook-signature`: `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the
  secret's bytes (a secret written `whsec_<base64>` is the key those base64 bytes stand for).

Any answer but 2xx, or none, is a failed attempt: the outbox tries again later."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import httpx
import orjson

from domain.errors import BackendUnavailable
from domain.reminders import Alert

NAME = "webhook"
SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret[len(SECRET_PREFIX):]) if secret.startswith(SECRET_PREFIX) else secret.encode()


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(signing_key(secret), signed, hashlib.sha256).digest()).decode()


def payload(alert: Alert, email: str | None) -> bytes:
    return orjson.dumps({
        "type": f"reminder.{alert.kind.value.lower()}", "id": alert.event_id,
        "createdAt": alert.created_at.isoformat(), "customer": {"id": alert.customer_id, "email": email},
        "data": {"kind": alert.kind.value, "sku": alert.sku, "channel": alert.channel, "title": alert.title,
                 "message": alert.message, "link": alert.link, "before": alert.before, "after": alert.after,
                 "currency": alert.currency}})


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, url: str, secret: str, timeout_seconds: float = 10.0) -> None:
        self.client = client
        self.url = url
        self.secret = secret
        self.timeout_seconds = timeout_seconds

    async def send(self, alert: Alert, email: str | None, at: datetime) -> None:
        body, timestamp = payload(alert, email), int(at.timestamp())
        headers = {"content-type": "application/json", "webhook-id": alert.event_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": signature(self.secret, alert.event_id, timestamp, body)}
        try:
            response = await self.client.post(self.url, content=body, headers=headers, timeout=self.timeout_seconds)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(NAME, f"{self.url} could not be reached ({type(exc).__name__})") from exc
        if not response.is_success:
            raise BackendUnavailable(NAME, f"{self.url} answered {response.status_code}")
