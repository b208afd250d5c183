"""Deciding reminders: today's figures of the changed SKUs against each watching customer's baseline,
and untouched carts; each decision is written to the outbox with its deliveries (the ones the
customer consented to, or suppressed over the daily cap), then the new baselines are kept.

Figures are read through the request loaders, one context per channel and page of watches, so a page
costs one batched read per backend resource, never one per customer."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.carts import Cart
from domain.channels import Channel
from domain.errors import BadUserInput, RecordError
from domain.lists import Watch
from domain.records import ErpVariant
from domain.ports import SavedListStore
from domain.reminders import (
    OUTBOUND,
    Alert,
    AlertKind,
    Attempt,
    Decision,
    Delivery,
    DeliveryStatus,
    OutboxMessage,
    Reading,
    WatchState,
    decide,
    event_id,
    sentence,
    state_key,
)
from resolvers.context import RequestContext, Services
from resolvers.eager import gather_eagerly, load_all
from resolvers.pricing import variant_price
from resolvers.reminders.services import ReminderServices
from resolvers.stock import variant_stock

log = logging.getLogger(__name__)
PAGE = 500  # carts decided together: one read of figures, one write of messages
WATCH_PAGE = 2_000  # watches decided together (at most SKUS_AT_ONCE SKUs' figures): fewer, larger store reads
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Figures:
    reading: Reading
    title: str


async def read_figures(services: Services, channel: str, skus: Sequence[str]) -> dict[str, Figures]:
    """Today's stock and price of `skus` in `channel`, and their products' titles; a SKU the ERP no
    longer sells, or whose figures a backend could not give, is left out."""
    try:
        parsed = Channel.parse(channel)
    except BadUserInput:
        log.warning("reminders: saved items name an unknown channel %r; left alone", channel)
        return {}
    ctx = RequestContext(services=services, request_id="reminders", channel=parsed, live_stock=True)
    variants = [v for v in await load_all(ctx.loaders.variant_by_sku, list(dict.fromkeys(skus))) if v is not None]

    async def one(variant: ErpVariant) -> tuple[str, Figures] | None:
        try:
            stock = await variant_stock(ctx, variant)
            quote = await variant_price(ctx, variant)
            product = await ctx.loaders.product_by_id.load(variant.product_erp_id)
        except RecordError as exc:
            log.warning("reminders: no figures for %s (%s)", variant.sku, exc)
            return None
        title = product.title if product is not None else variant.sku
        return variant.sku, Figures(Reading(stock.quantity, quote.price.amount, quote.price.currency), title)

    return dict(found for found in await gather_eagerly(one(v) for v in variants) if found is not None)


class Decider:
    """Turns decisions into outbox messages, honouring preferences and the daily cap, and writes them."""

    def __init__(self, services: Services, reminders: ReminderServices, now: datetime) -> None:
        self.services = services
        self.reminders = reminders
        self.now = now

    async def write(self, alerts: list[Alert]) -> int:
        """Stores the alerts' messages (each once); how many were new."""
        if not alerts:
            return 0
        r = self.reminders
        customers = {a.customer_id for a in alerts}
        preferences = await r.state.preferences(customers)
        counted = defaultdict(int, await r.outbox.outbound_since(customers, self.now - DAY))
        offered, messages = r.offered(), []
        for alert in alerts:
            wanted = r.preferences_of(alert.customer_id, preferences)
            outbound = [d for d in OUTBOUND if d in offered and wanted.wants(alert.kind, d)]
            in_app = wanted.wants(alert.kind, Delivery.IN_APP)
            if not outbound and not in_app:
                continue
            capped = bool(outbound) and counted[alert.customer_id] >= r.rules.daily_cap
            counted[alert.customer_id] += 0 if capped or not outbound else 1
            status = DeliveryStatus.SUPPRESSED if capped else DeliveryStatus.PENDING
            deliveries = {d: Attempt(status, next_at=self.now, address=wanted.email if d is Delivery.EMAIL else None,
                                     last_error="over the daily cap" if capped else None) for d in outbound}
            messages.append(OutboxMessage(alert, deliveries, in_app=in_app,
                                          suppressed=f"over the daily cap of {r.rules.daily_cap}" if capped else None))
        return await r.outbox.record(messages)

    def alert(self, customer_id: str, kind: AlertKind, sku: str, subject: str, version: int, channel: str,
              figures: Figures, before: str, after: str, saved_stock: int | None = None) -> Alert:
        currency = figures.reading.currency
        return Alert(event_id=event_id(customer_id, kind, subject, version), customer_id=customer_id, kind=kind,
                     sku=sku, channel=channel, title=figures.title,
                     message=sentence(kind, figures.title, before, after, currency, saved_stock),
                     link=self.reminders.link(channel, sku), before=before, after=after,
                     currency=currency if kind is AlertKind.PRICE_DROP else None, created_at=self.now)


async def evaluate_skus(services: Services, reminders: ReminderServices, lists: SavedListStore,
                        skus: Sequence[str], now: datetime) -> int:
    """Every watch of `skus`, page by page; how many messages were decided."""
    decider, decided, after = Decider(services, reminders, now), 0, None
    while True:
        page = await lists.watching(skus, after, WATCH_PAGE)
        if page:
            decided += await _evaluate(decider, page)
        if len(page) < WATCH_PAGE:
            return decided
        after = f"{page[-1].list_id}/{page[-1].item.item_id}"


async def _evaluate(decider: Decider, page: list[Watch]) -> int:
    watches: dict[str, Watch] = {}  # one per customer and SKU: the first saved (the same SKU in two lists)
    for w in page:
        key = state_key(w.customer_id, w.item.sku)
        if key not in watches or w.item.added_at < watches[key].item.added_at:
            watches[key] = w
    by_channel: dict[str, list[str]] = defaultdict(list)
    for w in watches.values():
        by_channel[w.item.channel].append(w.item.sku)
    figures = {channel: await read_figures(decider.services, channel, skus) for channel, skus in by_channel.items()}
    states = await decider.reminders.state.states(watches)
    alerts: list[Alert] = []
    kept: list[WatchState] = []
    for key, w in watches.items():
        found = figures[w.item.channel].get(w.item.sku)
        if found is None:
            continue
        item = w.item
        state = states.get(key) or WatchState(w.customer_id, item.sku, item.stock_when_saved, item.price_when_saved,
                                              item.currency)
        decisions, new_state = decide(state, found.reading, decider.reminders.rules)
        alerts += [_alert(decider, w, state, d, found) for d in decisions]
        if new_state is not state:
            kept.append(new_state)
    decided = await decider.write(alerts)  # first: a pass that dies before keeping the states decides the same again
    await decider.reminders.state.keep(kept)
    return decided


def _alert(decider: Decider, w: Watch, state: WatchState, d: Decision, figures: Figures) -> Alert:
    return decider.alert(w.customer_id, d.kind, w.item.sku, w.item.sku, state.version, w.item.channel, figures,
                         d.before, d.after, saved_stock=w.item.stock_when_saved)


async def evaluate_carts(services: Services, reminders: ReminderServices, carts: Sequence[Cart],
                         now: datetime) -> int:
    """An abandoned-cart reminder for each cart (untouched since the configured time); the message is
    about its first line's product, in the cart's channel. How many were decided."""
    decider = Decider(services, reminders, now)
    by_channel: dict[str, list[str]] = defaultdict(list)
    for cart in carts:
        by_channel[cart.channel].append(cart.lines[0].sku)
    figures = {channel: await read_figures(services, channel, skus) for channel, skus in by_channel.items()}
    alerts = []
    for cart in carts:
        sku = cart.lines[0].sku
        found = figures[cart.channel].get(sku)
        if found is not None and cart.customer_id is not None:
            alerts.append(decider.alert(cart.customer_id, AlertKind.CART_REMINDER, sku, cart.cart_id, cart.version,
                                        cart.channel, found, "", str(cart.total_quantity)))
    return await decider.write(alerts)
