"""Delivering the outbox: each due e-mail and webhook is claimed (SENDING, one more attempt counted)
before it is sent and settled after: SENT; PENDING again after a backoff on a failure; FAILED after
the last attempt (its last error kept); SUPPRESSED when the customer withdrew consent meanwhile.

The one window for a second copy is a process dying between sending and settling: the message stays
SENDING. After `CLAIM_TIMEOUT` a webhook is sent again (the receiver drops the copy by its
`webhook-id`); an e-mail is not (no receiver can drop it), it becomes FAILED as interrupted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import BackendError
from domain.reminders import Attempt, Delivery, DeliveryStatus, OutboxMessage
from resolvers.reminders.services import ReminderServices

log = logging.getLogger(__name__)
CLAIM_TIMEOUT = timedelta(minutes=5)  # longer than any one send (its timeout) takes
MAX_PER_PASS = 500  # deliveries of one kind per pass; the rest wait for the next


@dataclass(slots=True)
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0


async def deliver_due(reminders: ReminderServices, now: datetime) -> Delivered:
    counts = Delivered()
    senders = ((Delivery.EMAIL, reminders.mail), (Delivery.WEBHOOK, reminders.webhook))
    for delivery, sender in senders:
        if sender is None:
            continue
        await reminders.outbox.recover(delivery, now - CLAIM_TIMEOUT, resend=delivery is Delivery.WEBHOOK)
        for _ in range(MAX_PER_PASS):
            message = await reminders.outbox.claim_delivery(delivery, now)
            if message is None:
                break
            outcome = await _deliver(reminders, message, delivery, now)
            await reminders.outbox.settle(message.alert.event_id, delivery, outcome)
            match outcome.status:
                case DeliveryStatus.SENT:
                    counts.sent += 1
                case DeliveryStatus.PENDING:
                    counts.retried += 1
                case DeliveryStatus.FAILED:
                    counts.failed += 1
                case _:
                    counts.suppressed += 1
    return counts


async def _deliver(reminders: ReminderServices, message: OutboxMessage, delivery: Delivery,
                   now: datetime) -> Attempt:
    alert, attempt = message.alert, message.deliveries[delivery]
    stored = await reminders.state.preferences([alert.customer_id])
    preferences = reminders.preferences_of(alert.customer_id, stored)
    if not preferences.wants(alert.kind, delivery):
        return Attempt(DeliveryStatus.SUPPRESSED, attempt.attempts, last_error="consent withdrawn before sending")
    try:
        if delivery is Delivery.EMAIL:
            assert reminders.mail is not None
            await reminders.mail.send(preferences.email or attempt.address or "", alert,
                                      reminders.unsubscribe_url(alert.customer_id))
        else:
            assert reminders.webhook is not None
            await reminders.webhook.send(alert, preferences.email, now)
    except BackendError as exc:
        if attempt.attempts >= reminders.rules.max_attempts:
            log.warning("reminders: %s of %s given up after %d attempts: %s", delivery.value, alert.event_id,
                        attempt.attempts, exc)
            return Attempt(DeliveryStatus.FAILED, attempt.attempts, last_error=str(exc))
        return Attempt(DeliveryStatus.PENDING, attempt.attempts, now + reminders.rules.retry_after(attempt.attempts),
                       last_error=str(exc))
    return Attempt(DeliveryStatus.SENT, attempt.attempts)
