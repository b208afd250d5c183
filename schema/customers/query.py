"""`me`: the signed-in customer."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import global_ids
from schema.context import ctx
from schema.customers.types import CUSTOMER_SCOPES, Customer
from schema.scopes import needs


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="The signed-in customer; null for a guest.", extensions=[needs(*CUSTOMER_SCOPES)])
    def me(self, info: Info) -> Customer | None:
        customer = ctx(info).customer_id
        return Customer(id=strawberry.ID(global_ids.encode("Customer", customer)), customer_id=customer) \
            if customer else None
