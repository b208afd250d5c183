"""How carts and their lines are named to clients (global IDs), and who may see a cart."""

from __future__ import annotations

import secrets
from typing import Protocol

from domain.carts import Cart
from domain.errors import BadUserInput
from resolvers import global_ids


def new_cart_id() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def cart_ref(cart_id: str) -> str:
    """The cart's global ID."""
    return global_ids.encode("Cart", cart_id)


def line_global_id(cart: Cart, line_id: str) -> str:
    return global_ids.encode("CartLine", f"{cart.cart_id}:{line_id}")


def cart_key(cart_global_id: str) -> str:
    kind, key = global_ids.decode(cart_global_id)
    if kind != "Cart":
        raise BadUserInput(f"`cartId` takes a Cart ID, not the ID of a {kind}")
    return key


def line_position(cart: Cart, line_global_id: str) -> int | None:
    """Where in `cart.lines` the line with this global ID is; None when not in this cart."""
    try:
        kind, key = global_ids.decode(line_global_id)
    except BadUserInput:
        return None
    cart_part, _, line_id = key.rpartition(":")
    if kind != "CartLine" or cart_part != cart.cart_id:
        return None
    return next((n for n, line in enumerate(cart.lines) if line.line_id == line_id), None)


class Owned(Protocol):
    @property
    def customer_id(self) -> str | None: ...


def visible_to(owned: Owned, customer_id: str | None) -> bool:
    """A guest's cart or list is reachable by its id; a customer's only with that customer's token."""
    return owned.customer_id is None or owned.customer_id == customer_id
