"""Cart query and mutations. Expected failures are `userErrors`; the cart is the current one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.carts import CartOutcome
from resolvers.carts import changes, checkout, idempotency, sign_in
from resolvers.carts.unit_of_work import CartUnitOfWork
from schema.carts.inputs import (
    AttributeInput,
    CartInput,
    CartLineInput,
    CartLineUpdateInput,
    CheckoutInput,
    attributes_of,
)
from schema.carts.types import Cart, CartPayload, CheckoutPayload, CheckoutUserError, Order
from schema.context import ctx
from schema.scopes import needs

ExpectedVersion = Annotated[int | None, strawberry.argument(
    description="The version the change was made on; a cart that has moved on answers VERSION_CONFLICT.")]


@strawberry.type
class CartQuery:
    @strawberry.field(description="A cart by ID: a guest's by ID alone, a customer's only with their token.",
                      extensions=[needs(Scope.CART_WRITE)])
    async def cart(self, info: Info, id: strawberry.ID) -> Cart | None:
        found = await changes.find_cart(ctx(info), id)
        return Cart.of(found) if found else None


IdempotencyKey = Annotated[str | None, strawberry.argument(
    description="Up to 255 characters. A repeat with the same input returns the first result without applying "
                "it again; the same key with another input is refused (IDEMPOTENCY_KEY_REUSED).")]


async def _once(info: Info, operation: str, key: str | None, arguments: tuple,
                run: Callable[[CartUnitOfWork], Awaitable[CartOutcome]]) -> CartPayload:
    return CartPayload.of(await idempotency.once(ctx(info), operation, key, arguments, run))


@strawberry.type
class CartMutation:
    @strawberry.mutation(extensions=[needs(Scope.CART_WRITE)])
    async def cart_create(self, info: Info, input: CartInput, idempotency_key: IdempotencyKey = None) -> CartPayload:
        lines = [line.to_request() for line in input.lines or ()]
        note, attributes = input.note, attributes_of(input.attributes)
        return await _once(info, "cartCreate", idempotency_key, (lines, note, attributes),
                           lambda uow: changes.create_cart(uow, lines, note, attributes))

    @strawberry.mutation(extensions=[needs(Scope.CART_WRITE)])
    async def cart_lines_add(self, info: Info, cart_id: strawberry.ID, lines: list[CartLineInput],
                             expected_version: ExpectedVersion = None,
                             idempotency_key: IdempotencyKey = None) -> CartPayload:
        requests = [line.to_request() for line in lines]
        return await _once(info, "cartLinesAdd", idempotency_key, (cart_id, requests, expected_version),
                           lambda uow: changes.add_lines(uow, cart_id, requests, expected_version))

    @strawberry.mutation(extensions=[needs(Scope.CART_WRITE)])
    async def cart_lines_update(self, info: Info, cart_id: strawberry.ID, lines: list[CartLineUpdateInput],
                                expected_version: ExpectedVersion = None,
                                idempotency_key: IdempotencyKey = None) -> CartPayload:
        updates = [line.to_update() for line in lines]
        return await _once(info, "cartLinesUpdate", idempotency_key, (cart_id, updates, expected_version),
                           lambda uow: changes.update_lines(uow, cart_id, updates, expected_version))

    @strawberry.mutation(extensions=[needs(Scope.CART_WRITE)])
    async def cart_lines_remove(self, info: Info, cart_id: strawberry.ID, line_ids: list[strawberry.ID],
                                expected_version: ExpectedVersion = None,
                                idempotency_key: IdempotencyKey = None) -> CartPayload:
        return await _once(info, "cartLinesRemove", idempotency_key, (cart_id, line_ids, expected_version),
                           lambda uow: changes.remove_lines(uow, cart_id, line_ids, expected_version))

    @strawberry.mutation(description="Replaces the cart's discount codes (the web-shop's coupons); an empty "
                         "list clears them. A code that does not apply is DISCOUNT_CODE_INVALID.",
                         extensions=[needs(Scope.CART_WRITE)])
    async def cart_discount_codes_update(self, info: Info, cart_id: strawberry.ID, discount_codes: list[str],
                                         expected_version: ExpectedVersion = None,
                                         idempotency_key: IdempotencyKey = None) -> CartPayload:
        return await _once(info, "cartDiscountCodesUpdate", idempotency_key,
                           (cart_id, discount_codes, expected_version),
                           lambda uow: changes.update_discount_codes(uow, cart_id, discount_codes, expected_version))

    @strawberry.mutation(extensions=[needs(Scope.CART_WRITE)])
    async def cart_note_update(self, info: Info, cart_id: strawberry.ID, note: str,
                               expected_version: ExpectedVersion = None,
                               idempotency_key: IdempotencyKey = None) -> CartPayload:
        return await _once(info, "cartNoteUpdate", idempotency_key, (cart_id, note, expected_version),
                           lambda uow: changes.update_note(uow, cart_id, note, expected_version))

    @strawberry.mutation(extensions=[needs(Scope.CART_WRITE)])
    async def cart_attributes_update(self, info: Info, cart_id: strawberry.ID, attributes: list[AttributeInput],
                                     expected_version: ExpectedVersion = None,
                                     idempotency_key: IdempotencyKey = None) -> CartPayload:
        pairs = attributes_of(attributes)
        return await _once(info, "cartAttributesUpdate", idempotency_key, (cart_id, pairs, expected_version),
                           lambda uow: changes.update_attributes(uow, cart_id, pairs, expected_version))

    @strawberry.mutation(description="Places the cart as one order in the ERP, at live prices and stock, and "
                         "completes the cart. Repeating it returns the same order.",
                         extensions=[needs(Scope.CHECKOUT_WRITE)])
    async def cart_checkout(self, info: Info, cart_id: strawberry.ID, input: CheckoutInput,
                            idempotency_key: Annotated[str, strawberry.argument(
                                description="Required: a retried checkout must never order twice.")],
                            ) -> CheckoutPayload:
        request = input.to_request()
        outcome = await idempotency.once(ctx(info), "cartCheckout", idempotency_key, (cart_id, request),
                                         lambda uow: checkout.checkout(uow, cart_id, request))
        order = await checkout.order_for(ctx(info), outcome.cart) if not outcome.user_errors else None
        return CheckoutPayload(order=Order.of(order, ctx(info).services.backends.erp.name) if order else None,
                               cart=Cart.of(outcome.cart) if outcome.cart else None,
                               user_errors=[CheckoutUserError.of(e) for e in outcome.user_errors])

    @strawberry.mutation(description="Attaches the signed-in customer; when they already have an active cart, "
                         "the configured strategy decides which survives (MERGE by default).",
                         extensions=[needs(Scope.CART_WRITE)])
    async def cart_buyer_identity_update(self, info: Info, cart_id: strawberry.ID,
                                         expected_version: ExpectedVersion = None,
                                         idempotency_key: IdempotencyKey = None) -> CartPayload:
        return await _once(info, "cartBuyerIdentityUpdate", idempotency_key, (cart_id, expected_version),
                           lambda uow: sign_in.attach_customer(uow, cart_id, expected_version))
