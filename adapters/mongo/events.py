"""The live event log in MongoDB: `events`, one document per event with a sequence number for `_id`,
numbered by one counter document (`counters`, `_id: "events"`) that a publisher moves by as many
events as it appends, in one atomic `$inc`. A reader asks for ids above the last it took, which
MongoDB serves from `_id`'s own index. Kept for `retention` (resolvers/live_events.py prunes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument

from adapters.mongo.client import call
from domain.errors import MalformedPayload
from domain.records import LiveEvent, LiveEventKind

WHAT = "event log"
COUNTER = "events"


class MongoEventLog:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.events = client[database]["events"]
        self.counters = client[database]["counters"]

    async def prepare(self) -> None:
        await call(self.events.create_index([("at", ASCENDING)]), WHAT)

    async def publish(self, events: Sequence[tuple[LiveEventKind, str, int | None]], at: datetime) -> list[int]:
        if not events:
            return []
        counter = await call(self.counters.find_one_and_update(
            {"_id": COUNTER}, {"$inc": {"seq": len(events)}}, upsert=True, return_document=ReturnDocument.AFTER), WHAT)
        if counter is None:  # an upsert returning the document after it always finds one
            raise MalformedPayload("mongodb", "the events counter was not returned")
        ids = list(range(int(counter["seq"]) - len(events) + 1, int(counter["seq"]) + 1))
        docs = [{"_id": n, "at": at, "kind": kind.value, "key": key, "version": version}
                for n, (kind, key, version) in zip(ids, events, strict=True)]
        await call(self.events.insert_many(docs, ordered=False), WHAT)
        return ids

    async def after(self, event_id: int, limit: int) -> list[LiveEvent]:
        found = self.events.find({"_id": {"$gt": event_id}}).sort("_id", ASCENDING).limit(limit)
        return [_event(doc) for doc in await call(found.to_list(), WHAT)]

    async def last_id(self) -> int:
        counter = await call(self.counters.find_one({"_id": COUNTER}), WHAT)
        return int(counter["seq"]) if counter else 0

    async def oldest_id(self) -> int | None:
        found = await call(self.events.find({}, {"_id": 1}).sort("_id", ASCENDING).limit(1).to_list(), WHAT)
        return int(found[0]["_id"]) if found else None

    async def prune(self, before: datetime) -> None:
        await call(self.events.delete_many({"at": {"$lt": before}}), WHAT)


def _event(doc: dict) -> LiveEvent:
    try:
        version = doc.get("version")
        return LiveEvent(int(doc["_id"]), doc["at"], LiveEventKind(doc["kind"]), str(doc["key"]),
                         int(version) if version is not None else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"event {doc.get('_id')} is incomplete ({exc})") from exc
