"""Opening the gateway's MongoDB with production-safe defaults."""

from __future__ import annotations

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from commerce_gateway.domain.errors import BackendUnavailable

NAME = "mongodb"


def open_client(url: str, *, timeout_seconds: float = 5.0) -> AsyncMongoClient:
    """Majority writes and retryable writes, as a replica set wants; tz-aware datetimes."""
    return AsyncMongoClient(
        url,
        w="majority",
        retryWrites=True,
        tz_aware=True,
        serverSelectionTimeoutMS=int(timeout_seconds * 1000),
        connectTimeoutMS=int(timeout_seconds * 1000),
    )


async def ping(client: AsyncMongoClient) -> None:
    try:
        await client.admin.command("ping")
    except PyMongoError as exc:
        raise BackendUnavailable(NAME, f"does not answer ({type(exc).__name__})") from exc
