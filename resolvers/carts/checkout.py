"""Checkout: one order in the ERP per cart, priced and stock-checked live, then the cart completed.

A checkout first claims the cart (`checkout_started_at`, written as any cart change is), so two at
once (a double click, two tabs, with different idempotency keys) cannot both create an order: the
one whose claim lands goes on, the other waits for it and answers with the cart as it ends. While
a checkout holds the cart, no other change lands on it (CHECKOUT_IN_PROGRESS), so the order is
made from the lines the cart ends with. A claim older than `CartRules.claim_seconds` (its process
died) may be taken over. The ERP order carries the cart id as `client_order_ref`, and a checkout
looks for an order with that reference first, so a retry after a crash between creating the order
and completing the cart finds the order instead of creating a second one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from domain.carts import CHECKOUT_IN_PROGRESS, Cart, CartOutcome, CartStatus, UserError, short_of
from domain.discount_allocation import split_evenly, to_cents
from domain.discounts import Buyer, Claim, claim_for
from domain.records import Address, ErpOrder, OrderDraft, OrderLine, Warehouse
from resolvers import global_ids, holds, stock
from resolvers.carts import cost, email_address
from resolvers.carts.ids import cart_key
from resolvers.carts.unit_of_work import NOT_FOUND, CartUnitOfWork
from resolvers.context import RequestContext

log = logging.getLogger(__name__)
WAIT_SECONDS = 15.0  # how long a second checkout waits for the first to end
STALE_CHECKS = 5  # stale code reservations settled (one ERP look-up each) by a checkout that meets the limit


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    email: str
    payment_reference: str
    name: str | None = None
    shipping_address: Address | None = None
    pickup_store_id: str | None = None


async def checkout(uow: CartUnitOfWork, cart_id: str, request: CheckoutRequest) -> CartOutcome:
    """The cart afterwards (completed when an order exists for it), or why not."""
    ctx = uow.ctx
    cart = await uow.read(cart_key(cart_id))
    if cart is None:
        return CartOutcome(None, (NOT_FOUND,))
    if cart.status is CartStatus.COMPLETED:
        return CartOutcome(cart)
    if refused := uow.refusal(cart, None, checking_out=True):  # a checkout running: waited for below
        return CartOutcome(cart, (refused,))
    errors = _input_errors(request)
    if (key := ctx.api_key) is not None and ctx.channel.value not in key.checkout_channels:
        errors.append(UserError("CHANNEL_NOT_ALLOWED", f"this API key checks out only at "
                                f"{', '.join(key.checkout_channels)}, not at {ctx.channel.value}", ("input",)))
    if not cart.lines:
        errors.append(UserError("CART_EMPTY", "the cart has no lines", ("cartId",)))
    store = await _pickup_store(ctx, request.pickup_store_id) if request.pickup_store_id else None
    if request.pickup_store_id and store is None:
        errors.append(UserError("PICKUP_STORE_UNKNOWN", "no pickup store with this id", ("input", "pickupStoreId")))
    if errors:
        return CartOutcome(cart, tuple(errors))
    claimed = await _claim(uow, cart)
    if not isinstance(claimed, Cart):
        return claimed  # another checkout ended it (or still runs)
    erp, ledger = ctx.services.backends.erp, ctx.services.redemptions
    try:
        if (placed := await erp.order_by_reference(cart.cart_id)) is None:
            drafted = await _draft(ctx, claimed, request, store)
            if not isinstance(drafted, list) and (short := await holds.hold_for_checkout(ctx, claimed, store)):
                drafted = short
            if isinstance(drafted, list):
                await _release(uow, claimed)
                return CartOutcome(claimed, tuple(drafted))
            draft, claims = drafted
            if ledger is not None and (used_up := await _reserve(ctx, cart.cart_id, claims)) is not None:
                await _release(uow, claimed)
                return CartOutcome(claimed, (UserError("DISCOUNT_CODE_INVALID", f"{used_up}: used up meanwhile",
                                                       ("discountCodes",)),))
            await erp.create_order(draft)
        elif _ordered(placed) != _ordered_from(claimed):
            await _release(uow, claimed)
            return CartOutcome(claimed, (UserError(
                "ORDER_EXISTS", f"order {placed.number} was placed for this cart as it was before it changed; "
                                "the lines added since need a new cart", ("cartId",)),))
        if ledger is not None:
            await ledger.confirm(cart.cart_id)  # also after a crash: the order found, its reserved uses
    except BaseException:
        await asyncio.shield(_after_failure(uow, claimed))
        raise
    return await _complete(uow, claimed)


async def _reserve(ctx: RequestContext, cart_id: str, claims: list[Claim]) -> str | None:
    """The cart's code uses taken (None), or the code at its limit. At the limit, the code's stale
    reservations (older than the claim time, never confirmed: their checkout died before the ERP
    answered) are settled, at most `STALE_CHECKS` of them, by asking the ERP: those of a cart with
    an order are confirmed, the others given back, and the uses are tried once more."""
    ledger, erp = ctx.services.redemptions, ctx.services.backends.erp
    assert ledger is not None
    used_up = await ledger.reserve(cart_id, claims)
    if used_up is None:
        return None
    freed = False
    for use in await ledger.stale(used_up, STALE_CHECKS):
        try:
            placed = await erp.order_by_reference(use.cart_id)
        except Exception:
            log.warning("the ERP cannot say whether cart %s has an order; its use of %s stays", use.cart_id, use.code)
            continue
        if placed is not None:
            await ledger.confirm(use.cart_id)
        else:
            freed = await ledger.drop_stale(use) or freed
    return await ledger.reserve(cart_id, claims) if freed else used_up


def _ordered(order: ErpOrder) -> dict[str, int]:
    return _summed((line.sku, line.quantity) for line in order.lines)


def _ordered_from(cart: Cart) -> dict[str, int]:
    return _summed((line.sku, line.quantity) for line in cart.lines)


def _summed(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for sku, quantity in pairs:
        totals[sku] = totals.get(sku, 0) + quantity
    return totals


async def _after_failure(uow: CartUnitOfWork, claimed: Cart) -> None:
    """A failed order call may still have made the order (a timeout after the ERP committed it):
    when the ERP shows it, the cart is completed and its discount code uses confirmed; when the
    ERP says there is none, the claim and the uses are given up; when the ERP cannot say, both stay
    until the claim expires (the next checkout confirms or takes the uses again), so the cart does
    not change under an order that may exist."""
    ledger = uow.ctx.services.redemptions
    try:
        placed = await uow.ctx.services.backends.erp.order_by_reference(claimed.cart_id)
    except Exception:
        log.warning("checkout of cart %s failed and the ERP cannot say whether it has the order; the cart stays "
                    "claimed for %s s", claimed.cart_id, uow.rules.claim_seconds)
        return
    if placed is not None:
        if ledger is not None:
            await ledger.confirm(claimed.cart_id)
        await _complete(uow, claimed)
    else:
        if ledger is not None:
            await ledger.release(claimed.cart_id)
        await _release(uow, claimed)


async def _claim(uow: CartUnitOfWork, cart: Cart) -> Cart | CartOutcome:
    """The cart, claimed for this checkout; or, when another checkout holds it, the cart as that one
    leaves it (waited for)."""
    waited_until = time.monotonic() + WAIT_SECONDS
    while True:
        outcome = await uow.change(cart.cart_id, None, lambda c: c.claimed_for_checkout(uow.now(), uow.rules),
                                   ends_operation=False)
        if not outcome.user_errors and outcome.cart is not None:
            return outcome.cart
        if outcome.cart is not None and outcome.cart.status is CartStatus.COMPLETED:
            return CartOutcome(outcome.cart)  # by the other checkout: its order is this cart's
        if outcome.user_errors != (CHECKOUT_IN_PROGRESS,) or time.monotonic() > waited_until:
            return outcome
        await asyncio.sleep(0.05)


async def _release(uow: CartUnitOfWork, claimed: Cart) -> None:
    """Gives the claim and the stock it held up (the checkout did not place an order); units the
    cart held before checkout (`holds.on_add`) are held again as then."""
    await holds.release(uow.ctx, claimed.cart_id, holds.quantities(claimed))
    await holds.follow(uow.ctx, dataclasses.replace(claimed, lines=()), claimed)
    await uow.change(claimed.cart_id, None, Cart.unclaimed, ends_operation=False, checking_out=True)


async def order_for(ctx: RequestContext, cart: Cart | None) -> ErpOrder | None:
    if cart is None or cart.status is not CartStatus.COMPLETED:
        return None
    return await ctx.services.backends.erp.order_by_reference(cart.cart_id)


def _input_errors(request: CheckoutRequest) -> list[UserError]:
    errors = []
    if email_address.normalized(request.email) is None:
        errors.append(UserError("INVALID_EMAIL", "an email address such as ana@example.com, of at most "
                                                 f"{email_address.MAX_LENGTH} characters", ("input", "email")))
    if (request.shipping_address is None) == (request.pickup_store_id is None):
        errors.append(UserError("DELIVERY_REQUIRED", "give either shippingAddress or pickupStoreId", ("input",)))
    address = request.shipping_address
    if address is not None:
        missing = [name for name in ("street", "city", "zip") if not (getattr(address, name) or "").strip()]
        errors += [UserError("INVALID_ADDRESS", f"{name} is required", ("input", "shippingAddress", name))
                   for name in missing]
        if not re.fullmatch(r"[A-Z]{2}", address.country_code or ""):
            errors.append(UserError("INVALID_ADDRESS", "countryCode is an ISO 3166 code such as DE",
                                    ("input", "shippingAddress", "countryCode")))
    if not request.payment_reference.strip():
        errors.append(UserError("PAYMENT_REFERENCE_REQUIRED", "the payment provider's reference is required",
                                ("input", "paymentReference")))
    return errors


async def _pickup_store(ctx: RequestContext, store_id: str) -> Warehouse | None:
    kind, code = global_ids.decode(store_id)
    if kind != "Store":
        return None
    stores = await ctx.services.directory.pickup_stores()
    return next((s for s in stores if s.code == code), None)


async def _draft(ctx: RequestContext, cart: Cart, request: CheckoutRequest,
                 store: Warehouse | None) -> tuple[OrderDraft, list[Claim]] | list[UserError]:
    """The order at today's prices and the code uses it takes, or why it cannot be placed: items
    gone, not enough stock in the channel (or, for pickup, in the chosen store), or a code on the
    cart that does not apply (now, or to this buyer: e-mail restriction, uses per customer)."""
    email = email_address.normalized(request.email) or request.email.strip()
    buyer = Buyer(email, ctx.customer_id)
    priced = await cost.price_cart(ctx, cart, buyer)
    # a code the shopper was shown that does not apply now is said, not dropped from the price unseen
    errors = [UserError("DISCOUNT_CODE_INVALID", f"{c.code}: {c.reason}", ("discountCodes", n))
              for n, c in enumerate(priced.codes) if not c.applicable]
    for n, line in enumerate(priced.lines):
        if line.variant is None:
            errors.append(UserError("UNKNOWN_MERCHANDISE", f"{line.line.sku} is no longer sold", ("lines", n)))
            continue
        if store is not None:
            available = await stock.store_stock(ctx, line.variant, store, cart.cart_id)
            where = f" at {store.name}"
        else:
            available = (await stock.variant_stock(ctx, line.variant, cart.cart_id)).quantity
            where = ""
        if line.line.quantity > available:
            short = short_of(line.line.sku, available, ctx.sees_stock)
            errors.append(UserError("INSUFFICIENT_STOCK", f"{short}{where}, "
                                                          f"{line.line.quantity} in the cart", ("lines", n),
                                    available=available if ctx.sees_stock else None))
    if errors:
        return errors
    lines = tuple(_order_lines(priced))
    codes = ", ".join(c.code for c in priced.codes if c.applicable)
    note = "\n".join(t for t in (cart.note, f"Discount codes: {codes}" if codes else None) if t) or None
    claims = [claim_for(c.coupon, buyer) for c in priced.codes if c.applicable and c.coupon is not None]
    return OrderDraft(reference=cart.cart_id, channel=ctx.channel.value, customer_id=ctx.customer_id,
                      email=email, name=(request.name or request.email).strip(),
                      address=request.shipping_address, warehouse_code=store.code if store else None,
                      lines=lines, note=note, payment_reference=request.payment_reference.strip()), claims


def _order_lines(priced: cost.PricedCart) -> list[OrderLine]:
    """The ERP order's lines: each cart line at its price less what the discount codes took off it
    (domain/discount_allocation.py), in whole cents a unit, so that the order totals what the cart
    does to the cent; a line whose discount does not divide evenly goes as two, some units a cent
    dearer than the others."""
    off: dict[str, Decimal] = {}
    for code in priced.codes:
        for key, amount in code.by_item:
            off[key] = off.get(key, Decimal(0)) + amount
    lines = []
    for p in priced.lines:
        if p.variant is None or p.unit_price is None:
            continue
        cents = to_cents(p.unit_price.amount * p.line.quantity - off.get(p.line.line_id, Decimal(0)))
        lines += [OrderLine(p.variant.erp_id, p.variant.sku, units, Decimal(each) / 100)
                  for units, each in split_evenly(cents, p.line.quantity)]
    return lines


async def _complete(uow: CartUnitOfWork, cart: Cart) -> CartOutcome:
    """Marks the cart completed (no other change lands while the checkout holds it). A concurrent
    checkout that completed it first is success too. Its order is confirmed: the ERP's figure
    carries its units, so its holds are consumed."""
    await holds.consume(uow.ctx, cart)
    outcome = await uow.change(cart.cart_id, None, Cart.completed, checking_out=True)
    if outcome.cart is not None and outcome.cart.status is CartStatus.COMPLETED:
        return CartOutcome(outcome.cart)
    return outcome
