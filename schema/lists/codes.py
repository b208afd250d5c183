"""The saved-list slice's code enums, made from the domain's. Import them from here: this registers them."""

from __future__ import annotations

from domain.error_codes import ListErrorCode, ListWarningCode
from schema.user_errors import code_enum

code_enum(ListErrorCode)
code_enum(ListWarningCode)

__all__ = ["ListErrorCode", "ListWarningCode"]
