"""What the SKUs of a batch of live events read now, in one channel (and store): the figures the
subscriptions send and the partner webhooks' bodies carry, read live once per batch through the
request loaders (one read per backend resource, not one per SKU or per listener)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.channels import Channel
from domain.errors import RecordError
from domain.records import ErpProduct, ErpVariant, LiveEventKind
from resolvers import pricing, stock
from resolvers.context import RequestContext, Services
from resolvers.eager import gather_eagerly, load_all

# None: the ERP does not sell the SKU (no variant, or its product is gone)
type Figure = stock.StockFigure | pricing.PriceQuote | ErpProduct | None


async def figures_now(services: Services, kind: LiveEventKind, skus: Iterable[str], channel: Channel,
                      store_code: str | None = None) -> dict[str, Figure | RecordError]:
    """Each SKU's stock, price or product (by `kind`) now; a RecordError in place of one whose record
    is broken, so it costs its own SKU. A backend that fails raises, for the whole batch."""
    ctx = RequestContext(services=services, request_id="live", channel=channel, store_code=store_code,
                         live_stock=True)
    wanted = sorted(set(skus))

    async def one(variant: ErpVariant | None) -> Figure | RecordError:
        if variant is None:
            return None
        try:
            if kind is LiveEventKind.STOCK:
                return await stock.variant_stock(ctx, variant)
            if kind is LiveEventKind.PRICE:
                return await pricing.variant_price(ctx, variant)
            return await ctx.loaders.product_by_id.load(variant.product_erp_id)
        except RecordError as exc:
            return exc

    variants = await load_all(ctx.loaders.variant_by_sku, wanted)
    return dict(zip(wanted, await gather_eagerly(one(v) for v in variants), strict=True))
