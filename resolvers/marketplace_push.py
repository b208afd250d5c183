"""The marketplace push: every offer holds the ERP's sellable stock and the marketplace channel's ERP
price, within a pass of a change.

One process at a time (a lease, taken per pass) follows the live event log from the position kept in
MongoDB. The STOCK and PRICE events of a pass are coalesced per SKU; for each SKU the push reads the
ERP live (stock over the marketplace channel's warehouses, its pricelist or list price: never the
marketplace's own figures, which the channel may read) and sends `sellable = available − held − buffer`
and the price in calls of 25, when they differ from what was last accepted (kept per SKU). A SKU the
marketplace refuses keeps its error and is tried again with backoff; the others land. An EVERY_SKU
event, the first pass, a position older than the log keeps and every `reconcile_every` start a full
reconciliation: every SKU with an offer, compared with what the marketplace holds now (read back), so an
offer changed behind the gateway's back is set right; a slice of SKUs a pass, beside its events. The position moves on only after the pass: a crash pushes again, which
changes nothing (the figures are absolute)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from domain.channels import Channel
from domain.errors import BackendError, RecordError
from domain.holds import held_units
from domain.marketplace_sync import OfferSync, SyncRules, retry_after, sellable
from domain.ports import MarketplaceSyncStore
from domain.records import (
    EVERY_SKU,
    LiveEventKind,
    MarketplaceOffer,
    Money,
    PriceQuantityUpdate,
    PriceQuantityUpdated,
    marketplace_sku,
)
from resolvers.background import forever
from resolvers.context import RequestContext, Services
from resolvers.live_events import EventFollower
from resolvers.pricing import erp_price
from resolvers.stock import channel_location_ids

log = logging.getLogger(__name__)
PUSHED = (LiveEventKind.STOCK, LiveEventKind.PRICE)
MAX_EVENT_READS = 20  # reads of the log (500 events each) one pass takes; the rest waits for the next
MAX_RETRIES = 500  # refused SKUs one pass tries again
RECONCILE_SLICE = 200  # SKUs a pass reconciles (one offer read each: eBay has no batch read of offers)
LEASE = timedelta(minutes=2)  # held while a pass runs (longer than one takes); released for the interval after
CENT = Decimal("0.01")


class SyncEvents(Protocol):
    """What the push and the import report (gateway/metrics.py)."""

    def marketplace_pushed(self, outcome: str, count: int) -> None: ...

    def marketplace_push_lag(self, seconds: float) -> None: ...

    def marketplace_order_imported(self, outcome: str) -> None: ...


@dataclass(frozen=True, slots=True)
class PushReport:
    accepted: int = 0
    refused: int = 0
    unchanged: int = 0
    reconciled: bool = False


@dataclass(frozen=True, slots=True)
class _Figures:
    quantity: int
    price: Money


class MarketplacePush:
    def __init__(self, services: Services, store: MarketplaceSyncStore, rules: SyncRules, every_seconds: float,
                 reconcile_seconds: float, events: SyncEvents | None = None) -> None:
        self.services = services
        self.store = store
        self.rules = rules
        self.every = timedelta(seconds=every_seconds)
        self.reconcile_every = timedelta(seconds=reconcile_seconds) if reconcile_seconds > 0 else None
        self.events = events

    async def run_pass(self) -> PushReport | None:
        """One pass; None when another process holds the lease."""
        clock, log_ = self.services.clock, self.services.events
        started = clock()
        if log_ is None or not await self.store.claim("push", started, LEASE):
            return None
        try:
            position, reconciled_at, under_way = await self.store.position()
            oldest = await log_.oldest_id()
            # events pruned before this process read them (the push was off past the retention): reconcile
            missed = position is not None and oldest is not None and oldest > position + 1
            follower = EventFollower(log_, await log_.last_id() if position is None else position, clock)
            wanted: dict[str, datetime | None] = {}  # SKU -> its oldest event's time in the pass
            everything = False
            for _ in range(MAX_EVENT_READS):
                events = await follower.next_events()
                for event in events:
                    if event.kind in PUSHED:
                        everything |= event.key == EVERY_SKU
                        wanted.setdefault(event.key, event.at)
                if len(events) < follower.batch:
                    break
            wanted.pop(EVERY_SKU, None)
            for sku in await self.store.due(started, MAX_RETRIES):
                wanted.setdefault(sku, None)
            if everything or missed:
                under_way = ""  # from the first SKU again: every one may have changed since the slices began
            elif under_way is None and (reconciled_at is None or self.reconcile_every is not None
                                        and started - reconciled_at >= self.reconcile_every):
                under_way = ""
            report = await self.push(wanted) if wanted else PushReport()
            if under_way is not None:
                sliced, under_way = await self.reconcile(under_way)
                report = PushReport(report.accepted + sliced.accepted, report.refused + sliced.refused,
                                    report.unchanged + sliced.unchanged, reconciled=under_way is None)
            await self.store.save_position(follower.position, clock(), pushed=report.accepted > 0,
                                           reconcile_after=under_way, reconciled=report.reconciled)
            return report
        finally:
            await self.store.release("push", started + self.every)

    async def push(self, wanted: dict[str, datetime | None]) -> PushReport:
        """The SKUs' figures, sent where they differ from the last accepted push (or it was refused)."""
        states = await self.store.offers(wanted)
        unknown = [sku for sku in wanted if sku not in states or states[sku].offer_id is None
                   and states[sku].failing]
        offers = await self._offers(unknown) if unknown else {}
        for sku in unknown:
            offer = offers.get(sku)
            states[sku] = replace(states.get(sku) or OfferSync(sku), offer_id=offer.offer_id if offer else None)
        listed = {sku: s for sku, s in states.items() if sku in wanted and s.offer_id is not None}
        figures = await self._figures(listed)
        changed = [sku for sku, f in figures.items()
                   if listed[sku].failing or (listed[sku].quantity, listed[sku].price) != (f.quantity, f.price)]
        unlisted = [s for sku, s in states.items() if sku in unknown and s.offer_id is None]
        return await self._send(listed, figures, changed, wanted, unlisted, reconciled=False)

    async def reconcile(self, after: str) -> tuple[PushReport, str | None]:
        """The next slice of the SKUs with an offer (in SKU order, after `after`), compared with what the
        marketplace holds now; where the next slice starts (None: this was the last). In slices, so that a
        pass stays short and the events of the next are not held up by a whole reconciliation."""
        marketplace = self.services.backends.marketplace
        todo = sorted(sku for sku in {marketplace_sku(i) for i in await marketplace.all_inventory()} if sku > after)
        part = todo[:RECONCILE_SLICE]
        offers = await self._offers(part, sweep=True)
        states = await self.store.offers(offers)
        listed = {sku: replace(states.get(sku) or OfferSync(sku), offer_id=o.offer_id) for sku, o in offers.items()}
        figures = await self._figures(listed)
        changed = [sku for sku, f in figures.items()
                   if (offers[sku].available_quantity, offers[sku].price) != (f.quantity, f.price)]
        # what the marketplace holds already is what was pushed last (a reconciliation's read-back)
        agreed = {sku: replace(listed[sku], quantity=f.quantity, price=f.price, error=None, error_id=None,
                               attempts=0, retry_at=None, event_at=None)
                  for sku, f in figures.items() if sku not in changed}
        report = await self._send({**listed, **agreed}, figures, changed, {}, [], reconciled=False)
        return report, part[-1] if len(todo) > len(part) else None

    async def _send(self, listed: dict[str, OfferSync], figures: dict[str, _Figures], changed: list[str],
                    wanted: dict[str, datetime | None], unlisted: list[OfferSync], reconciled: bool) -> PushReport:
        updates = [PriceQuantityUpdate(sku, listed[sku].offer_id or "", figures[sku].quantity, figures[sku].price)
                   for sku in changed]
        results = await self._update(updates)
        now = self.services.clock()
        kept, accepted, refused = {sku: s for sku, s in listed.items() if sku in figures}, 0, 0
        for update, result in zip(updates, results, strict=True):
            state = listed[update.sku]
            event_at = _oldest(wanted.get(update.sku), state.event_at)
            if isinstance(result, PriceQuantityUpdated):
                accepted += 1
                lag = (now - event_at).total_seconds() if event_at is not None else None
                if lag is not None and self.events is not None:
                    self.events.marketplace_push_lag(lag)
                kept[update.sku] = replace(state, quantity=update.quantity, price=update.price, pushed_at=now,
                                           lag_seconds=lag, error=None, error_id=None, attempts=0, retry_at=None,
                                           event_at=None)
            else:
                refused += 1
                attempts = state.attempts + 1
                kept[update.sku] = replace(state, error=result.detail, error_id=getattr(result, "error_id", None),
                                           attempts=attempts, retry_at=now + retry_after(attempts, self.rules),
                                           event_at=event_at, offer_id=None)  # read again for the retry: gone?
        unchanged = len(figures) - len(updates)
        await self.store.keep([*kept.values(), *unlisted])
        if self.events is not None:
            for outcome, count in (("accepted", accepted), ("refused", refused), ("unchanged", unchanged)):
                if count:
                    self.events.marketplace_pushed(outcome, count)
        if refused:
            log.warning("marketplace refused pushes", extra={"refused": refused, "skus": [
                u.sku for u, r in zip(updates, results, strict=True) if isinstance(r, RecordError)][:20]})
        return PushReport(accepted, refused, unchanged, reconciled)

    async def _update(self, updates: list[PriceQuantityUpdate]) -> list[PriceQuantityUpdated | RecordError]:
        """The marketplace's answer per update; a call that failed as a whole fails each of its SKUs."""
        if not updates:
            return []
        marketplace = self.services.backends.marketplace
        try:
            return await marketplace.update_price_quantity(updates)
        except BackendError as exc:
            return [RecordError(exc.backend, u.sku, exc.detail) for u in updates]

    async def _offers(self, skus: Iterable[str], sweep: bool = False) -> dict[str, MarketplaceOffer]:
        """The SKUs' offers that can take an update (an unreadable one waits for the next pass)."""
        found = await self.services.backends.marketplace.offers_by_sku(list(skus), sweep=sweep)
        return {o.sku: o for o in found if isinstance(o, MarketplaceOffer) and o.offer_id}

    async def _figures(self, listed: dict[str, OfferSync]) -> dict[str, _Figures]:
        """What each SKU's offer should hold, from the ERP read live; a SKU the ERP lacks is left out."""
        if not listed:
            return {}
        ctx = RequestContext(services=self.services, request_id="marketplace push", channel=Channel.MARKETPLACE,
                             live_stock=True)
        skus = list(listed)
        variants = await ctx.loaders.variant_by_sku.load_many(skus)
        present = [v for v in variants if v is not None]
        snapshots = await ctx.loaders.stock_by_variant_id.load_many([v.erp_id for v in present])
        locations = await channel_location_ids(ctx)
        pool = frozenset(locations)  # the ERP's locations, as holds name them (whatever the channel reads)
        holds = await ctx.loaders.holds_by_sku.load_many([v.sku for v in present]) \
            if self.services.holds is not None else [[] for _ in present]
        figures = {}
        for variant, snapshot, held in zip(present, snapshots, holds, strict=True):
            # a hold its ERP order consumed before this read is in the ERP's reserved figure already
            figures[variant.sku] = _Figures(
                sellable(snapshot.available_at(locations), held_units(held, pool, snapshot.as_of), self.rules.buffer),
                _cents(await erp_price(ctx, variant)))
        missing = [sku for sku, v in zip(skus, variants, strict=True) if v is None]
        if missing:
            log.warning("marketplace offers of SKUs the ERP lacks", extra={"skus": missing[:20]})
        return figures


def _cents(price: Money) -> Money:
    """The price as the marketplace keeps it (two decimals), so that a read-back compares equal."""
    return Money(price.amount.quantize(CENT), price.currency)


def _oldest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


async def push_forever(push: MarketplacePush, every_seconds: float) -> None:
    await forever(push.run_pass, every_seconds, "marketplace push")
