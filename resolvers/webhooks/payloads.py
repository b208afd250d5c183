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
from domain.records import EVERY_SKU, ErpVariant, LiveEvent, LiveEventKind
from domain.webhooks import EVENT_TYPES, Delivery, Endpoint, delivery_id
from resolvers.context import RequestContext, Services
from resolvers.eager import gather_eagerly, load_all
from resolvers.pricing import variant_price
from resolvers.stock import variant_stock

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
    longer sells; absent for one whose record is broken (logged; sent as unavailable). A backend that fails fails the batch
    (the worker decides it again at its next pass)."""
    skus = list(dict.fromkeys(e.key for e in events if e.key != EVERY_SKU))
    if not skus:
        return {}
    ctx = RequestContext(services=services, request_id="webhooks", channel=Channel.parse(channel), live_stock=True)
    kinds = defaultdict(set)
    for event in events:
        kinds[event.key].add(event.kind)
    variants = dict(zip(skus, await load_all(ctx.loaders.variant_by_sku, skus), strict=True))

    async def one(sku: str, variant: ErpVariant) -> list[tuple[tuple[LiveEventKind, str], dict[str, Any]]]:
        found = []
        try:
            for kind in kinds[sku]:
                found.append(((kind, sku), await _figure(ctx, kind, variant)))
        except RecordError as exc:
            log.warning("webhooks: no figures for %s in %s (%s); sent as unavailable", sku, channel, exc)
            return []
        return found

    read: dict[tuple[LiveEventKind, str], dict[str, Any]] = {
        (kind, sku): {"removed": True} for sku, variant in variants.items() if variant is None for kind in kinds[sku]}
    for pairs in await gather_eagerly(one(sku, v) for sku, v in variants.items() if v is not None):
        read.update(pairs)
    return read


async def _figure(ctx: RequestContext, kind: LiveEventKind, variant: ErpVariant) -> dict[str, Any]:
    if kind is LiveEventKind.STOCK:
        return {"quantity": (await variant_stock(ctx, variant)).quantity}
    if kind is LiveEventKind.PRICE:
        price = (await variant_price(ctx, variant)).price
        return {"price": {"amount": str(price.amount), "currency": price.currency}}
    product = await ctx.loaders.product_by_id.load(variant.product_erp_id)
    return {"title": product.title if product is not None else None}


def _body(event: LiveEvent, channel: str, figure: dict[str, Any] | None) -> bytes:
    data: dict[str, Any] = {"sku": event.key, "channel": channel}
    if event.key != EVERY_SKU:
        data |= figure if figure is not None else {"unavailable": True}
    return orjson.dumps({"type": EVENT_TYPES[event.kind], "timestamp": event.at.isoformat(), "data": data})
