"""Global object IDs: opaque, stable across restarts and channels (base64url of `Kind/key`)."""

from __future__ import annotations

import base64
import binascii

from domain.errors import BadUserInput

KINDS: tuple[str, ...] = ("Product", "Variant", "Store", "Cart", "CartLine", "Customer", "Order", "SavedList",
                          "SavedItem")
KINDS += ("Notification",)  # an in-app reminder, refetched through its customer


def encode(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}/{key}".encode()).decode().rstrip("=")


def decode(global_id: str) -> tuple[str, str]:
    """Returns (kind, key); raises BadUserInput for anything this API did not issue."""
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"{global_id!r} is not an ID issued by this API") from None
    kind, _, key = raw.partition("/")
    if kind not in KINDS or not key:
        raise BadUserInput(f"{global_id!r} is not an ID issued by this API")
    return kind, key
