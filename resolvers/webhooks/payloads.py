"""The deliveries of a batch of live events: for each event an active endpoint hears, the body it is
sent, with the SKU's figure in the endpoint's channel read once per batch and channel (through the
request loaders, so a batch costs one read per backend resource, not one per SKU or endpoint).

A body names the change and carries the figure now, not at the event: a partner applies bodies in
order, and the last one holds the latest figure."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from domain.channels import Channel
from domain.errors import RecordError
from domain.records import EVERY_SKU, LiveEvent, LiveEventKind
from domain.webhooks import EVENT_TYPES, Delivery, Endpoint, delivery_id
from resolvers.context import Services
from resolvers.eager import gather_eagerly
from resolvers.live_figures import Figure, figures_now
from resolvers.pricing import PriceQuote
from resolvers.stock import StockFigure

log = logging.getLogger(__name__)


async def decide(services: Services, endpoints: Sequence[Endpoint], events: Sequence[LiveEvent],
                 now: datetime) -> list[Delivery]:
    """The deliveries of `events` to the `endpoints` that hear them, in event order."""
    wanted = [e for e in events if e.kind in EVENT_TYPES]
    by_channel: dict[str, list[Endpoint]] = defaultdict(list)
    for endpoint in endpoints:
        by_channel[endpoint.channel].append(endpoint)
    bodies: dict[tuple[str, int], bytes] = {}
    for channel, listening in by_channel.items():
        heard = [e for e in wanted if any(endpoint.hears(e.kind) for endpoint in listening)]
        figures = await _figures(services, channel, heard)
        for event in heard:
            bodies[(channel, event.id)] = _body(event, channel, figures.get((event.kind, event.key)))
    return [Delivery(delivery_id(endpoint.endpoint_id, event.id), endpoint.endpoint_id, event.id, event.key,
                     bodies[(endpoint.channel, event.id)], now, next_at=now)
            for event in wanted for endpoint in endpoints if endpoint.hears(event.kind)]


async def _figures(services: Services, channel: str,
                   events: Sequence[LiveEvent]) -> dict[tuple[LiveEventKind, str], dict[str, Any]]:
    """What each (kind, SKU) of `events` says in `channel` now: {"removed": True} for a SKU the ERP no
    longer sells; absent for one whose record is broken (logged; sent as unavailable). A backend that
    fails fails the batch (the worker decides it again at its next pass)."""
    skus_of: dict[LiveEventKind, set[str]] = defaultdict(set)
    for event in events:
        if event.key != EVERY_SKU:
            skus_of[event.kind].add(event.key)
    kinds = list(skus_of)
    read = await gather_eagerly(figures_now(services, kind, skus_of[kind], Channel.parse(channel)) for kind in kinds)
    found: dict[tuple[LiveEventKind, str], dict[str, Any]] = {}
    for kind, figures in zip(kinds, read, strict=True):
        for sku, figure in figures.items():
            if isinstance(figure, RecordError):
                log.warning("webhooks: no figures for %s in %s (%s); sent as unavailable", sku, channel, figure)
            else:
                found[(kind, sku)] = _data(figure)
    return found


def _data(figure: Figure) -> dict[str, Any]:
    if figure is None:
        return {"removed": True}
    if isinstance(figure, StockFigure):
        return {"quantity": figure.quantity}
    if isinstance(figure, PriceQuote):
        return {"price": {"amount": str(figure.price.amount), "currency": figure.price.currency}}
    return {"title": figure.title}


def _body(event: LiveEvent, channel: str, figure: dict[str, Any] | None) -> bytes:
    data: dict[str, Any] = {"sku": event.key, "channel": channel}
    if event.key != EVERY_SKU:
        data |= figure if figure is not None else {"unavailable": True}
    return orjson.dumps({"type": EVENT_TYPES[event.kind], "timestamp": event.at.isoformat(), "data": data})
