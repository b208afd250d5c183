"""The partner webhook worker: one gateway process at a time (whichever holds the lease) follows the
event log from its stored position, decides and stores the deliveries of each batch of events before
it moves its position past them, then sends what is due. A pass that fails leaves the position where
it was: the next one decides the same events again, and the delivery ids keep them stored once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.webhooks import Endpoint, EndpointState
from resolvers.background import forever
from resolvers.context import Services
from resolvers.live_events import EventFollower
from resolvers.webhooks.payloads import decide
from resolvers.webhooks.sending import Sent, deliver_due
from resolvers.webhooks.services import WebhookServices

log = logging.getLogger(__name__)
MAX_READS = 10  # batches of events read per pass; the rest wait for the next
BATCH = 500
LEASE = timedelta(minutes=2)  # held while a pass runs (sends are bounded by their timeout); given back after
KEPT = timedelta(days=7)  # how long a settled delivery stays readable (webhookDeliveries)
PRUNE_EVERY = timedelta(minutes=10)


@dataclass(slots=True)
class PassReport:
    events: int = 0
    decided: int = 0
    sent: Sent = field(default_factory=Sent)


class WebhookWorker:
    def __init__(self, services: Services, hooks: WebhookServices) -> None:
        if services.events is None:
            raise RuntimeError("partner webhooks follow the live event log, and this gateway has none")
        self.services = services
        self.hooks = hooks
        self.log = services.events
        self.follower: EventFollower | None = None  # kept between passes: it times a gap it waits out
        self.pruned_at: datetime | None = None

    async def run_pass(self) -> PassReport | None:
        """One pass, when no process has run one within the interval; None when another holds the lease."""
        clock, state = self.services.clock, self.hooks.state
        now = clock()
        hold = max(LEASE, timedelta(seconds=self.hooks.every_seconds))
        if not await state.claim(now, hold):
            return None
        try:
            report = PassReport()
            await self._follow(report)
            report.sent = sent = await deliver_due(self.hooks, clock)
            if self.hooks.counted is not None:
                for outcome, count in (("sent", sent.sent), ("retried", sent.retried), ("given_up", sent.given_up),
                                       ("endpoint_disabled", len(sent.disabled))):
                    self.hooks.counted(outcome, count)
            if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY:
                self.pruned_at = now
                await self.hooks.deliveries.prune(now - KEPT)
            return report
        finally:
            await state.release(now + hold, now + timedelta(seconds=self.hooks.every_seconds))

    async def _follow(self, report: PassReport) -> None:
        state = self.hooks.state
        position = await state.position()
        if position is None:  # the first pass: what is published from now on
            await state.save_position(await self.log.last_id())
            return
        oldest = await self.log.oldest_id()
        if oldest is not None and oldest > position + 1:
            log.warning("webhooks: events %d to %d were pruned before they were decided; they are not delivered",
                        position + 1, oldest - 1)
        follower = self.follower
        if follower is None or follower.position != position:  # first pass here, or another process moved on
            follower = self.follower = EventFollower(self.log, position, self.services.clock, BATCH)
        for _ in range(MAX_READS):
            events = await follower.next_events()
            if not events:
                break
            now = self.services.clock()
            deliveries = await decide(self.services, await self._listening(now), events, now)
            report.decided += await self.hooks.deliveries.record(deliveries)
            report.events += len(events)
            await state.save_position(follower.position)

    async def _listening(self, now: datetime) -> list[Endpoint]:
        """The active endpoints whose key still stands: those of a revoked or expired key hear nothing more."""
        endpoints = [e for e in await self.hooks.endpoints.all() if e.state is EndpointState.ACTIVE]
        keys = self.services.keys
        if keys is None:
            return endpoints
        standing: dict[str, bool] = {}
        for key_id in dict.fromkeys(e.owner_key_id for e in endpoints):
            key = await keys.get(key_id)
            standing[key_id] = key is not None and key.revoked_at is None and (
                key.expires_at is None or key.expires_at > now)
        return [e for e in endpoints if standing[e.owner_key_id]]


async def run_forever(worker: WebhookWorker) -> None:
    await forever(worker.run_pass, worker.hooks.every_seconds, "webhooks: a pass")
