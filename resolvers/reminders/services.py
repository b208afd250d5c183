"""What the reminder use cases share: the stores, the rules, the senders, the links."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import quote

from domain.ports import MailSender, Outbox, ReminderState, WebhookSender
from domain.reminders import OUTBOUND, AlertPreferences, AlertRules, Delivery


@dataclass(slots=True)
class ReminderServices:
    state: ReminderState
    outbox: Outbox
    rules: AlertRules = field(default_factory=AlertRules)
    links: dict[str, str] = field(default_factory=dict)  # channel -> a template with {sku}
    default_link: str = "https://shop.example.com/p/{sku}"
    unsubscribe_secret: str = ""
    public_url: str = "http://127.0.0.1:8000"  # where the gateway's unsubscribe route is reached from outside
    mail: MailSender | None = None        # None: no e-mail is sent (nor offered as a delivery)
    webhook: WebhookSender | None = None  # None: no webhook configured

    def link(self, channel: str, sku: str) -> str:
        return self.links.get(channel, self.default_link).replace("{sku}", quote(sku, safe=""))

    def offered(self) -> frozenset[Delivery]:
        """The deliveries this deployment can make."""
        senders = {Delivery.EMAIL: self.mail, Delivery.WEBHOOK: self.webhook}
        return frozenset({Delivery.IN_APP} | {d for d in OUTBOUND if senders[d] is not None})

    def preferences_of(self, customer_id: str, stored: dict[str, AlertPreferences]) -> AlertPreferences:
        return stored.get(customer_id) or AlertPreferences(customer_id)

    # one-click unsubscribe: `<customer id, base64url>.<HMAC-SHA256 of it, base64url>`; it stops e-mail
    # alerts only, for good (a new preferences update turns them on again), so it never expires

    def unsubscribe_token(self, customer_id: str) -> str:
        subject = _b64(customer_id.encode())
        return f"{subject}.{_b64(self._mac(subject))}"

    def unsubscribe_url(self, customer_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/alerts/unsubscribe?token={self.unsubscribe_token(customer_id)}"

    def customer_of_token(self, token: str) -> str | None:
        """The customer a token was made for; None for anything not made here."""
        subject, _, mac = token.partition(".")
        if not subject or not mac or len(token) > 1_000:
            return None
        try:
            valid = hmac.compare_digest(base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4)), self._mac(subject))
            return base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4)).decode() if valid else None
        except (ValueError, UnicodeDecodeError):
            return None

    def _mac(self, subject: str) -> bytes:
        return hmac.new(self.unsubscribe_secret.encode(), f"unsubscribe:{subject}".encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
