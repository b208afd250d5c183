"""The log of catalog changes the shared answer caches follow, in MongoDB: `invalidations` (one
document per read of the change feeds that found something, by publication time) and, in
`sweeps`, the poll's lease and the cursor where reading the feeds goes on."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, AsyncMongoClient

from adapters.mongo import leases
from adapters.mongo.client import call
from domain.errors import MalformedPayload
from domain.records import CatalogInvalidation, ChangeAspect, LoggedInvalidation

WHAT = "invalidation log"
JOB = "answer-cache"  # the poll's lease and cursor in `sweeps`
READ_AT_ONCE = 1_000


class MongoInvalidationLog:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.log = client[database]["invalidations"]
        self.sweeps = client[database]["sweeps"]

    async def prepare(self) -> None:
        await call(self.log.create_index([("at", ASCENDING)]), WHAT)

    async def claim_poll(self, now: datetime, every: timedelta) -> bool:
        return await leases.claim(self.sweeps, JOB, now, every, WHAT)

    async def cursor(self) -> str | None:
        doc = await call(self.sweeps.find_one({"_id": JOB}, {"cursor": 1}), WHAT)
        return doc.get("cursor") if doc else None

    async def publish(self, change: CatalogInvalidation | None, cursor: str, at: datetime) -> None:
        if change is not None:
            await call(self.log.insert_one({
                "at": at, "products": [[product_id, sorted(aspects)] for product_id, aspects in change.products],
                "assortment": change.assortment, "variant_ids": list(change.variant_ids),
                "variant_skus": list(change.variant_skus), "every_product": sorted(change.every_product)}), WHAT)
        await call(self.sweeps.update_one({"_id": JOB}, {"$set": {"cursor": cursor}}, upsert=True), WHAT)

    async def since(self, after: datetime, seen: Collection[str]) -> list[LoggedInvalidation]:
        skip = [ObjectId(s) for s in seen]
        found = self.log.find({"at": {"$gt": after}, "_id": {"$nin": skip}}).sort("at", ASCENDING).limit(READ_AT_ONCE)
        return [_logged(doc) for doc in await call(found.to_list(), WHAT)]

    async def prune(self, before: datetime) -> None:
        await call(self.log.delete_many({"at": {"$lt": before}}), WHAT)


def _logged(doc: dict) -> LoggedInvalidation:
    try:
        change = CatalogInvalidation(
            products=tuple((int(p), frozenset(ChangeAspect(a) for a in aspects)) for p, aspects in doc["products"]),
            assortment=bool(doc["assortment"]), variant_ids=tuple(doc["variant_ids"]),
            variant_skus=tuple(doc["variant_skus"]),
            every_product=frozenset(ChangeAspect(a) for a in doc.get("every_product", ())))
        return LoggedInvalidation(str(doc["_id"]), doc["at"], change)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"invalidation {doc.get('_id')} is incomplete ({exc})") from exc
