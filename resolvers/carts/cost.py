"""A cart priced for the operation's channel, with warnings where it no longer matches what was added."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.carts import Cart, CartLine, CartWarning, short_of
from domain.records import ErpVariant, Money
from domain import discounts
from resolvers import pricing, stock
from resolvers.context import RequestContext
from resolvers.merge import shop_content


@dataclass(frozen=True, slots=True)
class PricedLine:
    line: CartLine
    variant: ErpVariant | None  # None once the ERP no longer sells it
    unit_price: Money | None
    total: Money | None


@dataclass(frozen=True, slots=True)
class PricedCart:
    lines: tuple[PricedLine, ...]
    subtotal: Money
    discount: Money
    total: Money
    warnings: tuple[CartWarning, ...]
    codes: tuple[discounts.CodeResult, ...] = ()


async def price_cart(ctx: RequestContext, cart: Cart, buyer: discounts.Buyer | None = None) -> PricedCart:
    """The cart at the channel's live prices; with `buyer` (at checkout), codes are checked against
    their e-mail restrictions and limits per user too."""
    currency = ctx.rules.currency
    variants = await asyncio.gather(*(ctx.loaders.variant_by_sku.load(line.sku) for line in cart.lines))
    sold = [(line, v) for line, v in zip(cart.lines, variants, strict=True) if v is not None]
    quotes, figures = await asyncio.gather(
        asyncio.gather(*(pricing.variant_price(ctx, v) for _, v in sold)),
        asyncio.gather(*(stock.variant_stock(ctx, v, cart.cart_id) for _, v in sold)))
    by_line = {line.line_id: (v, q, f) for (line, v), q, f in zip(sold, quotes, figures, strict=True)}
    priced, warnings = [], []
    for line in cart.lines:
        if line.line_id not in by_line:
            priced.append(PricedLine(line, None, None, None))
            warnings.append(CartWarning("ITEM_UNAVAILABLE", f"{line.sku} is no longer sold", line.line_id))
            continue
        variant, quote, figure = by_line[line.line_id]
        unit = quote.price
        priced.append(PricedLine(line, variant, unit, Money(unit.amount * line.quantity, unit.currency)))
        if line.added_currency == unit.currency and line.added_price != unit.amount:
            warnings.append(CartWarning(
                "PRICE_CHANGED", f"{line.sku} was {line.added_price} {unit.currency} when added, "
                                 f"now {unit.amount} {unit.currency}", line.line_id))
        if line.quantity > figure.quantity:
            warnings.append(CartWarning("INSUFFICIENT_STOCK", f"{short_of(line.sku, figure.quantity, ctx.sees_stock)}, "
                                                              f"{line.quantity} in the cart", line.line_id))
    subtotal = sum((p.total.amount for p in priced if p.total is not None), Decimal(0))
    units = sum(p.line.quantity for p in priced if p.total is not None)
    codes = await discount_codes(ctx, cart.discount_codes, priced, subtotal, units, buyer)
    warnings += [CartWarning("DISCOUNT_CODE_NOT_APPLICABLE", f"{c.code}: {c.reason}")
                 for c in codes if not c.applicable]
    discount = sum((c.amount for c in codes), Decimal(0))
    return PricedCart(tuple(priced), Money(subtotal, currency), Money(discount, currency),
                      Money(subtotal - discount, currency), tuple(warnings), tuple(codes))


def as_added(cart: Cart, currency: str) -> PricedCart:
    """The cart at the prices its lines were added at, for when the backends cannot price it now."""
    priced = tuple(PricedLine(line, None, Money(line.added_price, currency),
                              Money(line.added_price * line.quantity, currency))
                   if line.added_currency == currency else PricedLine(line, None, None, None) for line in cart.lines)
    subtotal = sum((p.total.amount for p in priced if p.total is not None), Decimal(0))
    warning = CartWarning("PRICES_UNCONFIRMED", "prices as when added: they could not be checked just now")
    return PricedCart(priced, Money(subtotal, currency), Money(Decimal(0), currency), Money(subtotal, currency),
                      (warning,))


async def discount_codes(ctx: RequestContext, codes: tuple[str, ...], lines: Sequence[PricedLine], subtotal: Decimal,
                         units: int, buyer: discounts.Buyer | None = None) -> list[discounts.CodeResult]:
    """The codes as the web-shop's coupons apply to these lines, with the gateway's own uses of
    them (the redemption ledger) counted against their limits."""
    if not codes:
        return []
    coupons = [c for c in await ctx.loaders.coupon_by_code.load_many(list(codes)) if c is not None]
    items = await _items(ctx, lines, described=any(c.restricts_items for c in coupons))
    ledger = ctx.services.redemptions
    keys = discounts.buyer_keys(buyer) if buyer is not None else ()
    usage = await ledger.usage([c.code for c in coupons], keys) if ledger is not None else {}
    return discounts.evaluate(codes, coupons, subtotal, units, ctx.rules.currency,
                              ctx.services.cart_rules.shop_currency, ctx.services.clock(), items=items, usage=usage,
                              buyer=buyer)


async def _items(ctx: RequestContext, lines: Sequence[PricedLine], described: bool) -> list[discounts.Item]:
    """The priced lines as coupons see them, under their line ids; `described`: with the web-shop's
    product id, categories and sale state of their products, for coupons restricted to (or
    excluding) products, categories or sale items."""
    sold = [p for p in lines if p.variant is not None and p.unit_price is not None]
    if not described:
        return [discounts.Item(p.line.sku, p.line.quantity, p.unit_price.amount, key=p.line.line_id)
                for p in sold if p.unit_price is not None]
    products = await asyncio.gather(*(ctx.loaders.product_by_id.load(p.variant.product_erp_id)
                                      for p in sold if p.variant is not None))
    contents = await asyncio.gather(*(shop_content(ctx, product) if product else _none() for product in products))
    return [discounts.Item(p.line.sku, p.line.quantity, p.unit_price.amount,
                           content.shop_product_id if content else None, content.category_ids if content else (),
                           content.on_sale if content else False, p.line.line_id)
            for p, content in zip(sold, contents, strict=True) if p.unit_price is not None]


async def _none() -> None:
    return None
