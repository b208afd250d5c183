"""Fingerprints of what a sweep last saw of a backend without a change query (the marketplace),
and sweep leases, in MongoDB: `fingerprints` (one document per feed and key, with `changed_at`)
and `sweeps` (one per feed: who may sweep until when)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne

from adapters.mongo import leases
from adapters.mongo.client import call
from domain.records import ChangeMark, RecordChange

WHAT = "fingerprint store"
GONE = "gone"  # the fingerprint of a key the last sweep no longer saw


class MongoFingerprintStore:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.fingerprints = client[database]["fingerprints"]
        self.sweeps = client[database]["sweeps"]

    async def prepare(self) -> None:
        await call(self.fingerprints.create_index([("feed", ASCENDING), ("changed_at", ASCENDING), ("key", ASCENDING)]),
                   WHAT)

    async def claim_sweep(self, feed: str, now: datetime, every: timedelta) -> bool:
        return await leases.claim(self.sweeps, feed, now, every, WHAT)

    async def record(self, feed: str, seen: dict[str, str], at: datetime) -> int:
        docs = await call(self.fingerprints.find({"feed": feed}, {"key": 1, "fingerprint": 1}).to_list(), WHAT)
        known = {doc["key"]: doc["fingerprint"] for doc in docs}
        changed = {key: fp for key, fp in seen.items() if known.get(key) != fp}
        changed |= {key: GONE for key, fp in known.items() if key not in seen and fp != GONE}
        if changed:
            await call(self.fingerprints.bulk_write([
                UpdateOne({"_id": f"{feed}:{key}"},
                          {"$set": {"feed": feed, "key": key, "fingerprint": fp, "changed_at": at}}, upsert=True)
                for key, fp in changed.items()], ordered=False), WHAT)
        return len(changed)

    async def changes(self, feed: str, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        query: dict = {"feed": feed, "changed_at": {"$lte": until}}
        if after is not None:
            query["$or"] = [{"changed_at": {"$gt": after.at}}, {"changed_at": after.at, "key": {"$gt": after.key}}]
        cursor = self.fingerprints.find(query, {"key": 1, "changed_at": 1}).sort(
            [("changed_at", ASCENDING), ("key", ASCENDING)]).limit(limit)
        docs = await call(cursor.to_list(), WHAT)
        return [RecordChange(at=doc["changed_at"], key=doc["key"], variant_sku=doc["key"]) for doc in docs]
