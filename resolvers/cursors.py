"""Opaque cursors: pagination over an offset (the ERP pages by offset), and delta-sync marks."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from domain.errors import BadUserInput
from domain.records import ChangeMark

PREFIX = "cgw1:"


def pack(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unpack(cursor: str) -> str:
    """Raises binascii.Error or UnicodeDecodeError for what `pack` did not make."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def encode_offset(offset: int) -> str:
    return pack(f"{PREFIX}{offset}")


def decode_offset(cursor: str) -> int:
    try:
        raw = unpack(cursor)
        if raw.startswith(PREFIX) and (offset := int(raw[len(PREFIX):])) >= 0:
            return offset
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadUserInput(f"`after` {cursor!r} is not a cursor from this API; pass an edge's `cursor` "
                       "or `pageInfo.endCursor`")


CHANGES_VERSION = 1


def encode_marks(marks: dict[str, ChangeMark]) -> str:
    """A delta-sync cursor: how far each change feed has been read. It holds the backends' own
    times, so it means the same to every gateway process, before and after a restart."""
    body = {"v": CHANGES_VERSION, "feeds": {name: [m.at.isoformat(), m.key] for name, m in sorted(marks.items())}}
    return pack(json.dumps(body, separators=(",", ":")))


def decode_marks(cursor: str) -> dict[str, ChangeMark]:
    try:
        body = json.loads(unpack(cursor))
        if body["v"] == CHANGES_VERSION:
            marks = {}
            for name, (at, key) in body["feeds"].items():
                stamp = datetime.fromisoformat(at)
                if stamp.tzinfo is None or not isinstance(key, int | str) or isinstance(key, bool):
                    raise ValueError(key)
                marks[str(name)] = ChangeMark(stamp, key)
            return marks
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        pass
    raise BadUserInput(f"`since` {cursor!r} is not a delta-sync cursor from this API; pass the last answer's "
                       "`pageInfo.endCursor`, or null to start from the beginning")


POSITION_PREFIX = "cgw-pos1:"


def encode_position(at: datetime, key: str) -> str:
    """A position in a list ordered by time and key (the in-app notifications, newest first)."""
    return pack(f"{POSITION_PREFIX}{at.isoformat()}|{key}")


def decode_position(cursor: str) -> tuple[datetime, str]:
    try:
        raw = unpack(cursor)
        if raw.startswith(POSITION_PREFIX):
            at, _, key = raw[len(POSITION_PREFIX):].partition("|")
            when = datetime.fromisoformat(at)
            if key and when.tzinfo is not None:
                return when, key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadUserInput(f"`after` {cursor!r} is not a cursor from this API; pass an edge's `cursor` "
                       "or `pageInfo.endCursor`")
