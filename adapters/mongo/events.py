"""The live event log in MongoDB, numbered by one counter document (`counters`, `_id: "events"`) that
a publisher moves by as many events as it appends, in one atomic `$inc`.

Events are kept in buckets of BUCKET consecutive ids (`events`, `_id` = id // BUCKET, the events in
an array, pushed in): a reader reads the buckets from its position to the counter by `_id`, and a
publisher changes one small document. One document per event would make every publish an insert
into a growing collection, which the embedded store pays for with its size (measured: 2 ms per
insert at 200 events, 20 ms at 3,000, 60 ms at 6,000), while a push into a bucket of 10 costs about
what replacing a cart does (25 a bucket: 2–3 times that). Announcing a cart write costs ~4.5 ms on
the embedded store. Kept for the retention (resolvers/live_events.py prunes whole buckets): the change
feeds' poll prunes, and so does a publisher each time it opens a bucket, since carts and holds publish
in processes where no poll runs (`cache.invalidation_poll_seconds = 0`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import PyMongoError

from adapters.mongo.client import call
from domain.errors import BackendUnavailable, MalformedPayload
from domain.ports import EventLog
from domain.records import LiveEvent, LiveEventKind

log = logging.getLogger(__name__)
WHAT = "event log"
COUNTER = "events"
BUCKET = 10  # consecutive ids per document: a push rewrites the whole bucket, a reader reads one per BUCKET events


class MongoEventLog:
    def __init__(self, client: AsyncMongoClient, database: str, keep: timedelta | None = None) -> None:
        """`keep`: how long events are kept (a publisher prunes what is older); None: only `prune` does."""
        self.client = client
        self.keep = keep
        self.events = client[database]["events"]
        self.counters = client[database]["counters"]
        self.streams = False  # a replica set: readers wake on a change stream instead of polling
        self._changed = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        await call(self.events.create_index([("last_at", ASCENDING)]), WHAT)
        hello = await call(self.client.admin.command("hello"), WHAT)
        # change streams need a replica set (or a sharded cluster); the embedded store is neither, and
        # answers $changeStream with "Unsupported aggregation stage"
        self.streams = bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"

    async def wait_for_more(self, timeout: float) -> None:
        if not self.streams:
            await asyncio.sleep(timeout)
            return
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())
        if not self._changed.is_set():  # set: something came since the last wait, and may not be read yet
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        self._changed.clear()

    async def _watch(self) -> None:
        """Sets `_changed` at every write to the log; a stream that fails leaves the readers polling."""
        try:
            async with await self.events.watch([{"$match": {"operationType": {"$in": ["insert", "update"]}}}],
                                               full_document=None) as stream:
                async for _ in stream:
                    self._changed.set()
        except PyMongoError as exc:
            self.streams = False
            self._changed.set()
            log.warning("live events: the change stream failed (%s); polling the event log instead", exc)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    async def publish(self, events: Sequence[tuple[LiveEventKind, str, int | None]], at: datetime) -> list[int]:
        if not events:
            return []
        counter = await call(self.counters.find_one_and_update(
            {"_id": COUNTER}, {"$inc": {"seq": len(events)}}, upsert=True, return_document=ReturnDocument.AFTER), WHAT)
        first = int(counter["seq"]) - len(events) + 1  # type: ignore[index]  # upserted: never None
        ids = list(range(first, first + len(events)))
        docs: list[dict[str, object]] = [{"id": i, "at": at, "kind": kind.value, "key": key, "version": version}
                                         for i, (kind, key, version) in zip(ids, events, strict=True)]
        for bucket, in_bucket in groupby(zip(ids, docs, strict=True), key=lambda pair: pair[0] // BUCKET):
            pushed = [doc for _, doc in in_bucket]
            await call(self.events.update_one({"_id": bucket}, {"$push": {"events": {"$each": pushed}},
                                                                "$max": {"last_at": at}}, upsert=True), WHAT)
        if self.keep is not None and any(i % BUCKET == 0 for i in ids):  # once a bucket, not at every event
            await self.prune(at - self.keep)
        return ids

    async def after(self, event_id: int, limit: int) -> list[LiveEvent]:
        newest = await self.last_id()
        if newest <= event_id:
            return []
        start = (event_id + 1) // BUCKET
        first = await call(self.events.find_one({"_id": start}), WHAT)
        if first is None:  # pruned (a reader far behind) or not written yet: on from the next bucket kept
            later = await call(self.events.find({"_id": {"$gt": start}}).sort("_id", ASCENDING).limit(1).to_list(),
                               WHAT)
            if not later:
                return []
            first, event_id = later[0], max(event_id, later[0]["_id"] * BUCKET - 1)
        last = min(newest, event_id + limit)
        docs = [first] + [await call(self.events.find_one({"_id": b}), WHAT)
                          for b in range(first["_id"] + 1, last // BUCKET + 1)]
        found = [_event(e) for doc in docs for e in (doc or {}).get("events", ()) if event_id < e.get("id", 0) <= last]
        return sorted(found, key=lambda e: e.id)

    async def last_id(self) -> int:
        counter = await call(self.counters.find_one({"_id": COUNTER}), WHAT)
        return int(counter["seq"]) if counter else 0

    async def oldest_id(self) -> int | None:
        docs = await call(self.events.find({}).sort("_id", ASCENDING).limit(1).to_list(), WHAT)
        ids = [int(e["id"]) for e in docs[0].get("events", ())] if docs else []
        return min(ids) if ids else None

    async def prune(self, before: datetime) -> None:
        """Whole buckets whose newest event is older than `before`."""
        await call(self.events.delete_many({"last_at": {"$lt": before}}), WHAT)


async def announce(events: EventLog | None, new: Sequence[tuple[LiveEventKind, str, int | None]], at: datetime,
                   what: str) -> None:
    """After a write (a cart's, a SKU's holds): a failed announcement costs the readers this change,
    never the write, which stands and is answered as made."""
    if events is None:
        return
    try:
        await events.publish(new, at)
    except BackendUnavailable:
        log.warning("a write was not announced", extra={"what": what})


def _event(doc: dict) -> LiveEvent:
    try:
        version = doc.get("version")
        return LiveEvent(int(doc["id"]), doc["at"], LiveEventKind(doc["kind"]), str(doc["key"]),
                         int(version) if version is not None else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"event {doc.get('id')} is incomplete ({exc})") from exc
