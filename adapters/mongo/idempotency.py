"""Idempotency records in MongoDB: `_id` is the (caller-scoped) key, so the first insert wins;
a TTL index removes them 24 hours after first use."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from adapters.mongo import lists
from adapters.mongo.carts import from_document, to_document, warnings_document, warnings_from
from adapters.mongo.client import NAME, call
from domain.carts import CartOutcome, IdempotencyClaim, IdempotencyRecord, UserError
from domain.lists import ListOutcome
from domain.errors import BackendUnavailable

COLLECTION = "idempotency"
KEEP_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=2)  # a claim still without outcome by then died with its process
GIVEN_UP = datetime(2000, 1, 1, tzinfo=UTC)  # the claim date of a claim given up: older than any abandoned one


def outcome_document(outcome: CartOutcome | ListOutcome) -> dict[str, Any]:
    doc = {
        "cart": to_document(outcome.cart) if outcome.cart else None,
        "user_errors": [{"code": e.code, "message": e.message, "field": list(e.field) if e.field else None,
                         **({"available": e.available} if e.available is not None else {})}
                        for e in outcome.user_errors],
        "warnings": warnings_document(outcome.warnings),
    }
    if isinstance(outcome, ListOutcome):  # a saved-list mutation's: the list, and the cart a move touched
        doc["list"] = lists.to_document(outcome.saved_list) if outcome.saved_list else None
    return doc


def outcome_from(doc: dict[str, Any]) -> CartOutcome | ListOutcome:
    cart = from_document(doc["cart"]) if doc.get("cart") else None
    errors = tuple(UserError(e["code"], e["message"], tuple(e["field"]) if e.get("field") else None,
                             available=e.get("available"))
                   for e in doc.get("user_errors", ()))
    if "list" in doc:
        saved = lists.from_document(doc["list"]) if doc["list"] else None
        return ListOutcome(saved, errors, warnings_from(doc.get("warnings")), cart)
    return CartOutcome(cart=cart, user_errors=errors, warnings=warnings_from(doc.get("warnings")))


class MongoIdempotencyStore:
    def __init__(self, client: AsyncMongoClient, database: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.records = client[database][COLLECTION]
        self.clock = clock

    async def prepare(self) -> None:
        try:
            await self.records.create_index("expires_at", name="idempotency_expiry", expireAfterSeconds=0)
        except PyMongoError as exc:
            raise BackendUnavailable(NAME, f"cannot create idempotency indexes ({exc})") from exc

    async def claim(self, key: str, fingerprint: str, target: str) -> IdempotencyClaim | IdempotencyRecord:
        now = self.clock()
        token = secrets.token_hex(8)
        try:
            await self.records.insert_one({"_id": key, "fingerprint": fingerprint, "target": target, "token": token,
                                           "outcome": None, "created_at": now, "expires_at": now + KEEP_FOR})
            return IdempotencyClaim(target, token)
        except DuplicateKeyError:
            pass
        except PyMongoError as exc:
            raise BackendUnavailable(NAME, f"idempotency store failed ({type(exc).__name__})") from exc
        # a claim whose process died before finishing (or that was given up) is taken over, with its target
        taken = await self._call(self.records.find_one_and_update(
            {"_id": key, "fingerprint": fingerprint, "outcome": None, "created_at": {"$lt": now - ABANDONED_AFTER}},
            {"$set": {"created_at": now, "token": token}}))
        if taken is not None:
            return IdempotencyClaim(taken.get("target") or target, token, resumed=True)
        doc = await self._call(self.records.find_one({"_id": key}))
        if doc is None:  # expired between our insert and our read: claim again
            return await self.claim(key, fingerprint, target)
        return IdempotencyRecord(doc["fingerprint"], outcome_from(doc["outcome"]) if doc.get("outcome") else None)

    async def complete(self, key: str, outcome: CartOutcome | ListOutcome) -> None:
        await self._call(self.records.update_one({"_id": key}, {"$set": {"outcome": outcome_document(outcome)}}))

    async def release(self, key: str, token: str) -> None:
        # kept (with its target), only dated back so that the next request takes it over at once
        await self._call(self.records.update_one({"_id": key, "outcome": None, "token": token},
                                                 {"$set": {"created_at": GIVEN_UP}}))

    @staticmethod
    async def _call(operation: Awaitable[Any]) -> Any:
        return await call(operation, "idempotency store")
