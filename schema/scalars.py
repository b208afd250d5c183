"""Scalars of the public contract, registered through the schema's scalar map."""

from __future__ import annotations

import re
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

_ISO_4217 = re.compile(r"^[A-Z]{3}$")

CurrencyCode = NewType("CurrencyCode", str)


def _currency(value: object) -> str:
    if not isinstance(value, str) or not _ISO_4217.match(value.upper()):
        raise ValueError("a currency code is three letters of ISO 4217, such as EUR")
    return value.upper()


SCALAR_MAP: dict[object, ScalarDefinition] = {
    CurrencyCode: strawberry.scalar(
        name="CurrencyCode",
        description="An ISO 4217 currency code, such as EUR.",
        serialize=str,
        parse_value=_currency,
    ),
}
