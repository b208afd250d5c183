"""Sending the webhook outbox. The unsettled deliveries are read in event order and grouped by
endpoint and SKU; the groups go out side by side (at most CONCURRENCY at once), each in its own
order: a delivery is sent only once the one before it was sent or given up.

Each is claimed (SENDING) before it is sent and settled after, with the attempt kept: SENT; PENDING
again after a backoff; GIVEN_UP after the last attempt. Every failure counts against its endpoint,
which is disabled, with a record, after `disable_after` in a row. A sender that died between sending
and settling leaves it SENDING: after CLAIM_TIMEOUT it is sent again (the receiver drops the copy
by its `webhook-id`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.ports import Clock
from domain.webhooks import Attempt, Delivery, DeliveryState, Disabled, Endpoint, EndpointState
from resolvers.webhooks.services import WebhookServices

log = logging.getLogger(__name__)
CLAIM_TIMEOUT = timedelta(minutes=5)  # longer than any one send (bounded by webhooks.timeout_seconds)
MAX_PER_PASS = 5_000  # unsettled deliveries read per pass; the rest wait for the next
CONCURRENCY = 32  # groups (endpoint and SKU) sent at once


@dataclass(slots=True)
class Sent:
    sent: int = 0
    retried: int = 0
    given_up: int = 0
    disabled: list[str] = field(default_factory=list)  # endpoints disabled in this pass


async def deliver_due(hooks: WebhookServices, clock: Clock) -> Sent:
    now = clock()
    endpoints = {e.endpoint_id: e for e in await hooks.endpoints.all() if e.state is EndpointState.ACTIVE}
    groups: dict[tuple[str, str], list[Delivery]] = {}
    # a disabled endpoint's deliveries are not read: they would fill the window while they wait
    for delivery in await hooks.deliveries.unsettled(list(endpoints), MAX_PER_PASS):
        groups.setdefault((delivery.endpoint_id, delivery.sku), []).append(delivery)
    sender = _Sender(hooks, clock, endpoints)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def send_group(group: Sequence[Delivery]) -> None:
        async with limit:
            await sender.in_order(group, now)

    await asyncio.gather(*(send_group(g) for g in groups.values() if _due(g[0], now)))
    return sender.counts


def _due(delivery: Delivery, now: datetime) -> bool:
    return delivery.next_at is None or delivery.next_at <= now


class _Sender:
    def __init__(self, hooks: WebhookServices, clock: Clock, endpoints: dict[str, Endpoint]) -> None:
        self.hooks = hooks
        self.clock = clock
        self.endpoints = endpoints
        self.failing = {e.endpoint_id for e in endpoints.values() if e.consecutive_failures}
        self.counts = Sent()

    async def in_order(self, group: Sequence[Delivery], now: datetime) -> None:
        """Sends the group's deliveries one after another until one fails and waits for a retry."""
        for delivery in group:
            endpoint = self.endpoints.get(delivery.endpoint_id)
            if endpoint is None or not _due(delivery, now):
                return  # disabled in this pass, or waiting for its backoff
            if not await self.hooks.deliveries.claim(delivery.delivery_id, now, now - CLAIM_TIMEOUT):
                return  # another sender has it (a pass that outran its lease)
            if not await self._send(endpoint, delivery):
                return

    async def _send(self, endpoint: Endpoint, delivery: Delivery) -> bool:
        """True when the next delivery of its group may go: this one was sent or given up."""
        hooks, at = self.hooks, self.clock()
        status, error = await hooks.poster.post(endpoint.url, endpoint.signing_secrets(at), delivery.delivery_id,
                                                int(at.timestamp()), delivery.body)
        attempt, attempts = Attempt(at, status, error), len(delivery.attempts) + 1
        if error is None:
            await hooks.deliveries.settle(delivery.delivery_id, attempt, DeliveryState.SENT, None)
            self.counts.sent += 1
            if endpoint.endpoint_id in self.failing:
                self.failing.discard(endpoint.endpoint_id)
                await hooks.endpoints.succeeded(endpoint.endpoint_id)
            return True
        self.failing.add(endpoint.endpoint_id)
        given_up = attempts >= hooks.rules.max_attempts
        await hooks.deliveries.settle(delivery.delivery_id, attempt,
                                      DeliveryState.GIVEN_UP if given_up else DeliveryState.PENDING,
                                      None if given_up else at + hooks.rules.retry_after(attempts))
        disabled = await hooks.endpoints.failed(endpoint.endpoint_id, hooks.rules.disable_after,
                                                Disabled(at, error, status))
        if disabled:
            log.warning("webhooks: endpoint %s disabled after %d failures in a row; the last: %s",
                        endpoint.endpoint_id, hooks.rules.disable_after, error)
            self.endpoints.pop(endpoint.endpoint_id, None)
            self.counts.disabled.append(endpoint.endpoint_id)
        if given_up:
            log.warning("webhooks: %s given up after %d attempts: %s", delivery.delivery_id, attempts, error)
            self.counts.given_up += 1
            return True
        self.counts.retried += 1
        return False
