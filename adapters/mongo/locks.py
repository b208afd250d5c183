"""Named locks across gateway processes in MongoDB: one document per held name, taken by an upsert
whose filter only matches a free or expired lock (so exactly one claimant wins), and given back by
the token its holder got."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.client import call
from domain.errors import DomainError

WHAT = "locks"


class MongoLocks:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.locks = client[database]["locks"]

    async def prepare(self) -> None:
        """Nothing to index: every read and write is by `_id`."""

    async def acquire(self, name: str, now: datetime, hold: timedelta) -> str | None:
        token = secrets.token_hex(8)
        free = {"_id": name, "$or": [{"until": {"$lte": now}}, {"until": {"$exists": False}}]}
        try:
            await call(self.locks.find_one_and_update(free, {"$set": {"until": now + hold, "token": token}},
                                                      upsert=True), WHAT, on_duplicate=_Held())
        except _Held:
            return None  # held: the filter missed, and the upsert met its _id
        return token

    async def release(self, name: str, token: str) -> None:
        await call(self.locks.delete_one({"_id": name, "token": token}), WHAT)


class _Held(DomainError):
    """Another caller holds the lock."""
