"""Signed webhooks to the retailer's own messaging tools, in the Standard Webhooks scheme
(standardwebhooks.com): a POST of JSON with

- `webhook-id`: the event id, the same on every attempt (the receiver's idempotency key);
- `webhook-timestamp`: Unix seconds of this attempt (a receiver refuses old ones: replay);
- `webhook-signature`: `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the
  secret's bytes (a secret written `whsec_<base64>` is the key those base64 bytes stand for).

Any answer but 2xx, or none, is a failed attempt: the outbox tries again later."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import orjson

from domain.errors import BackendUnavailable
from domain.reminders import Alert
from domain.webhooks import SECRET_PREFIX, forbidden_address

NAME = "webhook"


def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret[len(SECRET_PREFIX):]) if secret.startswith(SECRET_PREFIX) else secret.encode()


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(signing_key(secret), signed, hashlib.sha256).digest()).decode()


def signatures(secrets: Sequence[str], event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header for several secrets (a rotation's old and new): space-separated,
    the receiver accepts the message when one of them verifies."""
    return " ".join(signature(s, event_id, timestamp, body) for s in secrets)


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


ERROR_EXCERPT = 256  # bytes of a failed answer's body kept with the attempt; the rest is never read


class PartnerPoster:
    """Partner webhooks: each POST bounded as a whole by `timeout_seconds`, redirects not followed (a
    3xx is a failure), at most ERROR_EXCERPT bytes of a failed answer read. Unless private targets are
    allowed, the host's addresses are resolved first and a private, loopback, link-local (cloud
    metadata) or otherwise non-public one is not called."""

    def __init__(self, client: httpx.AsyncClient, timeout_seconds: float, allow_private_targets: bool) -> None:
        self.client = client
        self.timeout_seconds = timeout_seconds
        self.allow_private_targets = allow_private_targets

    async def post(self, url: str, secrets: Sequence[str], message_id: str, timestamp: int,
                   body: bytes) -> tuple[int | None, str | None]:
        headers = {"content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(timestamp),
                   "webhook-signature": signatures(secrets, message_id, timestamp, body)}
        try:
            async with asyncio.timeout(self.timeout_seconds):
                if not self.allow_private_targets and (refused := await _private_target(url)) is not None:
                    return None, refused
                async with self.client.stream("POST", url, content=body, headers=headers,
                                              follow_redirects=False) as response:
                    if response.is_success:
                        return response.status_code, None
                    return response.status_code, f"answered {response.status_code}{await _excerpt(response)}"
        except TimeoutError:
            return None, f"no answer within {self.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            return None, f"could not be reached ({type(exc).__name__})"


async def _private_target(url: str) -> str | None:
    """Why the URL's host may not be called (an address that is not public), or None."""
    host = urlsplit(url).hostname or ""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return f"{host} does not resolve"
    for *_, address in found:
        if forbidden_address(str(address[0]).split("%")[0]):
            return f"{host} resolves to {address[0]}, not a public address (webhooks.allow_private_targets)"
    return None


async def _excerpt(response: httpx.Response) -> str:
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= ERROR_EXCERPT:
            break
    text = read[:ERROR_EXCERPT].decode(errors="replace").strip()
    return f": {text}" if text else ""
