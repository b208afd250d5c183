"""The cart slice's code enums, made from the domain's: why a cart mutation or a checkout changed
nothing, and what a cart's warnings are about. Import them from here: this registers them."""

from __future__ import annotations

from domain.error_codes import CartErrorCode, CartWarningCode, CheckoutErrorCode
from schema.user_errors import code_enum

code_enum(CartErrorCode)
code_enum(CheckoutErrorCode)
code_enum(CartWarningCode)

__all__ = ["CartErrorCode", "CartWarningCode", "CheckoutErrorCode"]
