"""Opening the gateway's MongoDB with production-safe defaults."""

from __future__ import annotations

from collections.abc import Awaitable

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from domain.errors import BackendUnavailable, DomainError

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


async def call[T](operation: Awaitable[T], what: str, on_duplicate: DomainError | None = None) -> T:
    """Awaits a driver operation; a driver failure becomes BackendUnavailable naming `what` failed,
    or `on_duplicate` when a unique index refused the write."""
    try:
        return await operation
    except DuplicateKeyError as exc:
        if on_duplicate is None:
            raise BackendUnavailable(NAME, f"{what} failed (DuplicateKeyError)") from exc
        raise on_duplicate from exc
    except PyMongoError as exc:
        raise BackendUnavailable(NAME, f"{what} failed ({type(exc).__name__})") from exc


async def ping(client: AsyncMongoClient) -> None:
    try:
        await client.admin.command("ping")
    except PyMongoError as exc:
        raise BackendUnavailable(NAME, f"does not answer ({type(exc).__name__})") from exc
