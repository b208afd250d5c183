"""Cart inputs, as in the API sketch."""

from __future__ import annotations

import strawberry

from domain.records import Address, Attribute
from resolvers.carts.changes import LineRequest, LineUpdate
from resolvers.carts.checkout import CheckoutRequest


@strawberry.input
class AttributeInput:
    key: str
    value: str


def attributes_of(inputs: list[AttributeInput] | None) -> tuple[Attribute, ...]:
    return tuple(Attribute(a.key, a.value) for a in inputs or ())


@strawberry.input
class CartLineInput:
    merchandise_id: strawberry.ID
    quantity: int = 1
    attributes: list[AttributeInput] | None = None

    def to_request(self) -> LineRequest:
        return LineRequest(self.merchandise_id, self.quantity, attributes_of(self.attributes))


@strawberry.input
class CartLineUpdateInput:
    id: strawberry.ID
    quantity: int | None = strawberry.field(default=None, description="0 removes the line.")
    attributes: list[AttributeInput] | None = None

    def to_update(self) -> LineUpdate:
        return LineUpdate(self.id, self.quantity, attributes_of(self.attributes) if self.attributes is not None else None)


@strawberry.input
class AddressInput:
    street: str
    city: str
    zip: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. DE.")

    def to_address(self) -> Address:
        return Address(street=self.street, city=self.city, zip=self.zip, country_code=self.country_code.upper())


@strawberry.input(description="Exactly one of shippingAddress and pickupStoreId.")
class CheckoutInput:
    email: str
    payment_reference: str = strawberry.field(description="The payment provider's reference for the payment.")
    name: str | None = None
    shipping_address: AddressInput | None = None
    pickup_store_id: strawberry.ID | None = None

    def to_request(self) -> CheckoutRequest:
        return CheckoutRequest(email=self.email, payment_reference=self.payment_reference, name=self.name,
                               shipping_address=self.shipping_address.to_address() if self.shipping_address else None,
                               pickup_store_id=self.pickup_store_id)


@strawberry.input
class CartInput:
    lines: list[CartLineInput] | None = None
    note: str | None = None
    attributes: list[AttributeInput] | None = None
