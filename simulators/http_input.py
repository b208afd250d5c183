"""Reading what the simulators' write endpoints are sent: HTTP Basic credentials and JSON bodies."""

from __future__ import annotations

import base64
import json

from starlette.requests import Request


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic …` header; None for another scheme or a bad one."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:  # binascii.Error and UnicodeDecodeError both are
        return None
    return user, password


async def json_object(request: Request) -> dict | None:
    """The body as a JSON object; None when it is not JSON or not an object."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None
