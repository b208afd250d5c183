"""Opaque pagination cursors over an offset (the ERP pages by offset)."""

from __future__ import annotations

import base64
import binascii

from commerce_gateway.domain.errors import BadUserInput

PREFIX = "cgw1:"


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.startswith(PREFIX) and (offset := int(raw[len(PREFIX):])) >= 0:
            return offset
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadUserInput(f"`after` {cursor!r} is not a cursor from this API; pass an edge's `cursor` "
                       "or `pageInfo.endCursor`")
