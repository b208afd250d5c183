"""Cart inputs, as in the API sketch."""

from __future__ import annotations

import strawberry

from commerce_gateway.domain.records import Attribute
from commerce_gateway.resolvers.carts import LineRequest, LineUpdate


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
class CartInput:
    lines: list[CartLineInput] | None = None
    note: str | None = None
    attributes: list[AttributeInput] | None = None
