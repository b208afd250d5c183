"""Cart query and mutations. Expected failures are `userErrors`; the cart is the current one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from commerce_gateway.resolvers import cart_sign_in, carts, global_ids
from commerce_gateway.schema.carts.inputs import (
    AttributeInput,
    CartInput,
    CartLineInput,
    CartLineUpdateInput,
    attributes_of,
)
from commerce_gateway.schema.carts.types import Cart, CartPayload, Customer
from commerce_gateway.schema.context import ctx

ExpectedVersion = Annotated[int | None, strawberry.argument(
    description="The version the change was made on; a cart that has moved on answers VERSION_CONFLICT.")]


@strawberry.type
class CartQuery:
    @strawberry.field(description="A cart by ID: a guest's by ID alone, a customer's only with their token.")
    async def cart(self, info: Info, id: strawberry.ID) -> Cart | None:
        found = await carts.find_cart(ctx(info), id)
        return Cart.of(found) if found else None

    @strawberry.field(description="The signed-in customer; null for a guest.")
    def me(self, info: Info) -> Customer | None:
        customer = ctx(info).customer_id
        return Customer(id=strawberry.ID(global_ids.encode("Customer", customer)), customer_id=customer) \
            if customer else None


@strawberry.type
class CartMutation:
    @strawberry.mutation
    async def cart_create(self, info: Info, input: CartInput) -> CartPayload:
        lines = [line.to_request() for line in input.lines or ()]
        return CartPayload.of(await carts.create_cart(ctx(info), lines, input.note, attributes_of(input.attributes)))

    @strawberry.mutation
    async def cart_lines_add(self, info: Info, cart_id: strawberry.ID, lines: list[CartLineInput],
                             expected_version: ExpectedVersion = None) -> CartPayload:
        return CartPayload.of(await carts.add_lines(ctx(info), cart_id, [line.to_request() for line in lines],
                                                    expected_version))

    @strawberry.mutation
    async def cart_lines_update(self, info: Info, cart_id: strawberry.ID, lines: list[CartLineUpdateInput],
                                expected_version: ExpectedVersion = None) -> CartPayload:
        return CartPayload.of(await carts.update_lines(ctx(info), cart_id, [line.to_update() for line in lines],
                                                       expected_version))

    @strawberry.mutation
    async def cart_lines_remove(self, info: Info, cart_id: strawberry.ID, line_ids: list[strawberry.ID],
                                expected_version: ExpectedVersion = None) -> CartPayload:
        return CartPayload.of(await carts.remove_lines(ctx(info), cart_id, line_ids, expected_version))

    @strawberry.mutation
    async def cart_note_update(self, info: Info, cart_id: strawberry.ID, note: str,
                               expected_version: ExpectedVersion = None) -> CartPayload:
        return CartPayload.of(await carts.update_note(ctx(info), cart_id, note, expected_version))

    @strawberry.mutation
    async def cart_attributes_update(self, info: Info, cart_id: strawberry.ID, attributes: list[AttributeInput],
                                     expected_version: ExpectedVersion = None) -> CartPayload:
        return CartPayload.of(await carts.update_attributes(ctx(info), cart_id, attributes_of(attributes),
                                                            expected_version))

    @strawberry.mutation(description="Attaches the signed-in customer; when they already have an active cart, "
                                     "the configured strategy decides which survives (MERGE by default).")
    async def cart_buyer_identity_update(self, info: Info, cart_id: strawberry.ID,
                                         expected_version: ExpectedVersion = None) -> CartPayload:
        return CartPayload.of(await cart_sign_in.attach_customer(ctx(info), cart_id, expected_version))
