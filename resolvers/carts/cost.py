"""A cart priced for the operation's channel, with warnings where it no longer matches what was added."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from domain.carts import Cart, CartLine, CartWarning, short_of
from domain.records import ErpVariant, Money
from domain import discounts
from resolvers import pricing, stock
from resolvers.context import RequestContext


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


async def price_cart(ctx: RequestContext, cart: Cart) -> PricedCart:
    currency = ctx.rules.currency
    variants = await asyncio.gather(*(ctx.loaders.variant_by_sku.load(line.sku) for line in cart.lines))
    sold = [(line, v) for line, v in zip(cart.lines, variants, strict=True) if v is not None]
    quotes, figures = await asyncio.gather(
        asyncio.gather(*(pricing.variant_price(ctx, v) for _, v in sold)),
        asyncio.gather(*(stock.variant_stock(ctx, v) for _, v in sold)))
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
    codes = await discount_codes(ctx, cart.discount_codes, subtotal, units)
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


async def discount_codes(ctx: RequestContext, codes: tuple[str, ...], subtotal: Decimal,
                         units: int) -> list[discounts.CodeResult]:
    if not codes:
        return []
    coupons = [c for c in await ctx.loaders.coupon_by_code.load_many(list(codes)) if c is not None]
    return discounts.evaluate(codes, coupons, subtotal, units, ctx.rules.currency,
                              ctx.services.cart_rules.shop_currency)
