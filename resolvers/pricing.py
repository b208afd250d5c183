"""Price selection per channel. One price everywhere by default: the ERP list price.

- an ERP pricelist configured for the channel overrides it where one of its rules prices the variant;
- APP uses the app backend's calculated price, with the original as compareAtPrice
  when a promotion lowers it;
- MARKETPLACE uses the marketplace offer's price.
Where the channel's source has no price for a variant, the ERP list price applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.records import ErpVariant, Money
from resolvers.context import RequestContext
from resolvers.eager import gather_eagerly
from resolvers.rules import PriceSource


@dataclass(frozen=True, slots=True)
class PriceQuote:
    price: Money
    compare_at: Money | None
    source: str  # the name of the adapter whose price it is


async def variant_price(ctx: RequestContext, variant: ErpVariant) -> PriceQuote:
    """The variant's price in the operation's channel; worked out once per operation (its price,
    compareAtPrice and its product's priceRange all ask)."""
    key = ("price", variant.erp_id)
    quote = ctx.memo.get(key)
    if quote is None:
        quote = ctx.memo[key] = await _quote(ctx, variant)
    return quote


async def _quote(ctx: RequestContext, variant: ErpVariant) -> PriceQuote:
    rules, backends = ctx.rules, ctx.services.backends
    currency = rules.currency
    if rules.price_source is PriceSource.APP:
        app = await ctx.loaders.app_variant_by_sku.load(variant.sku)
        if app is not None and app.price is not None and app.currency in (None, currency):
            compare_at = app.original_price if app.original_price and app.original_price > app.price else None
            return PriceQuote(Money(app.price, currency), Money(compare_at, currency) if compare_at else None,
                              backends.app.name)
    elif rules.price_source is PriceSource.MARKETPLACE:
        offer = await ctx.loaders.offer_by_sku.load(variant.sku)
        if offer is not None and offer.price.currency == currency:
            return PriceQuote(offer.price, None, backends.marketplace.name)
    return PriceQuote(await erp_price(ctx, variant), None, backends.erp.name)


async def erp_price(ctx: RequestContext, variant: ErpVariant) -> Money:
    """The ERP's price of the variant in the operation's channel: its pricelist's where one of the
    rules prices it, else the list price (what the marketplace push sends, whatever the channel reads)."""
    rules = ctx.rules
    if rules.pricelist_id is not None:
        entry = await ctx.loaders.channel_price_by_key.load((rules.pricelist_id, variant.erp_id))
        if entry is not None:
            return Money(entry.price, rules.currency)
    return Money(variant.list_price, rules.currency)


async def price_range(ctx: RequestContext, variants: list[ErpVariant]) -> tuple[Money, Money] | None:
    if not variants:
        return None
    quotes = await gather_eagerly(variant_price(ctx, v) for v in variants)
    amounts = sorted(q.price.amount for q in quotes)
    currency = quotes[0].price.currency
    return Money(amounts[0], currency), Money(amounts[-1], currency)
