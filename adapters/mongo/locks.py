"""Named locks across gateway processes in MongoDB (`locks`): a lease (adapters/mongo/leases.py) per
held name, claimed with a token of its own and given back by that token, so a holder whose lease
expired and was taken over cannot end the new one."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo import leases
from adapters.mongo.client import call

WHAT = "locks"


class MongoLocks:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.locks = client[database]["locks"]

    async def prepare(self) -> None:
        """Nothing to index: every read and write is by `_id`."""

    async def acquire(self, name: str, now: datetime, hold: timedelta) -> str | None:
        token = secrets.token_hex(8)
        return token if await leases.claim(self.locks, name, now, hold, WHAT, holder=token) else None

    async def release(self, name: str, token: str) -> None:
        await call(self.locks.delete_one({"_id": name, "holder": token}), WHAT)
