"""The outbox in MongoDB (`outbox`): one document per decided message, `_id` its event id, so the same
event decided twice is stored once; the message and each of its deliveries (e-mail, webhook: status,
attempts, next attempt, last error) in that one document, written in one insert. In-app notifications
are the documents marked `in_app`, read and marked read where they are.

Indexes: the customer's messages newest first (the feed, the daily cap), and per delivery the due ones."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from adapters.mongo.client import call
from domain.errors import MalformedPayload
from domain.reminders import (
    OUTBOUND,
    Alert,
    AlertKind,
    Attempt,
    Delivery,
    DeliveryStatus,
    OutboxMessage,
)

WHAT = "outbox"
DUPLICATE_KEY = 11000


def _field(delivery: Delivery) -> str:
    return delivery.value.lower()


async def insert_new(collection: AsyncCollection, documents: list[dict[str, Any]]) -> int:
    """Inserts the documents whose `_id` is not stored yet; how many were new (those decided before
    stay as they were)."""
    try:
        result = await collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", ())):
            raise
        return int(exc.details.get("nInserted", 0))
    return len(result.inserted_ids)


class MongoOutbox:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.outbox = client[database]["outbox"]

    async def prepare(self) -> None:
        await call(self.outbox.create_index([("customer_id", ASCENDING), ("created_at", DESCENDING),
                                             ("_id", DESCENDING)], name="by_customer"), WHAT)
        for delivery in OUTBOUND:
            name = _field(delivery)
            await call(self.outbox.create_index([(f"{name}.status", ASCENDING), (f"{name}.next_at", ASCENDING)],
                                                name=f"due_{name}"), WHAT)

    async def record(self, messages: Sequence[OutboxMessage]) -> int:
        if not messages:
            return 0
        return await call(insert_new(self.outbox, [_document(m) for m in messages]), WHAT)

    async def outbound_since(self, customer_ids: Collection[str], since: datetime) -> dict[str, int]:
        counted: dict[str, int] = {}
        found = self.outbox.find({"customer_id": {"$in": list(customer_ids)}, "created_at": {"$gt": since},
                                  "outbound": True}, {"customer_id": 1})
        for doc in await call(found.to_list(), WHAT):
            counted[doc["customer_id"]] = counted.get(doc["customer_id"], 0) + 1
        return counted

    async def claim_delivery(self, delivery: Delivery, now: datetime) -> OutboxMessage | None:
        name = _field(delivery)
        doc = await call(self.outbox.find_one_and_update(
            {f"{name}.status": DeliveryStatus.PENDING.value, f"{name}.next_at": {"$lte": now}},
            {"$set": {f"{name}.status": DeliveryStatus.SENDING.value, f"{name}.claimed_at": now},
             "$inc": {f"{name}.attempts": 1}},
            sort=[(f"{name}.next_at", ASCENDING)], return_document=ReturnDocument.AFTER), WHAT)
        return _message(doc) if doc else None

    async def settle(self, event_id: str, delivery: Delivery, attempt: Attempt) -> None:
        name = _field(delivery)
        await call(self.outbox.update_one({"_id": event_id, f"{name}.status": DeliveryStatus.SENDING.value}, {"$set": {
            f"{name}.status": attempt.status.value, f"{name}.next_at": attempt.next_at,
            f"{name}.last_error": attempt.last_error}}), WHAT)

    async def recover(self, delivery: Delivery, claimed_before: datetime, resend: bool) -> int:
        name = _field(delivery)
        status = DeliveryStatus.PENDING if resend else DeliveryStatus.FAILED
        result = await call(self.outbox.update_many(
            {f"{name}.status": DeliveryStatus.SENDING.value, f"{name}.claimed_at": {"$lt": claimed_before}},
            {"$set": {f"{name}.status": status.value,
                      f"{name}.last_error": "interrupted while sending" + ("" if resend else "; not sent again")}}),
            WHAT)
        return result.modified_count

    async def get(self, event_id: str) -> OutboxMessage | None:
        doc = await call(self.outbox.find_one({"_id": event_id}), WHAT)
        return _message(doc) if doc else None

    async def notifications(self, customer_id: str, first: int,
                            after: tuple[datetime, str] | None) -> list[OutboxMessage]:
        query: dict[str, Any] = {"customer_id": customer_id, "in_app": True}
        if after is not None:
            at, event_id = after
            query["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": event_id}}]
        found = self.outbox.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).limit(first)
        return [_message(doc) for doc in await call(found.to_list(), WHAT)]

    async def mark_read(self, customer_id: str, event_ids: Collection[str], at: datetime) -> list[str]:
        mine = {"_id": {"$in": list(event_ids)}, "customer_id": customer_id, "in_app": True}
        await call(self.outbox.update_many({**mine, "read_at": None}, {"$set": {"read_at": at}}), WHAT)
        return [doc["_id"] for doc in await call(self.outbox.find(mine, {"_id": 1}).to_list(), WHAT)]


def _document(message: OutboxMessage) -> dict[str, Any]:
    a = message.alert
    doc: dict[str, Any] = {
        "_id": a.event_id, "customer_id": a.customer_id, "kind": a.kind.value, "sku": a.sku, "channel": a.channel,
        "title": a.title, "message": a.message, "link": a.link, "before": a.before, "after": a.after,
        "currency": a.currency, "created_at": a.created_at, "in_app": message.in_app, "read_at": message.read_at,
        "suppressed": message.suppressed,
        "outbound": any(d in message.deliveries and message.deliveries[d].status is not DeliveryStatus.SUPPRESSED
                        for d in OUTBOUND)}
    for delivery, attempt in message.deliveries.items():
        doc[_field(delivery)] = {"status": attempt.status.value, "attempts": attempt.attempts,
                                 "next_at": attempt.next_at, "last_error": attempt.last_error,
                                 "address": attempt.address}
    return doc


def _message(doc: dict[str, Any]) -> OutboxMessage:
    try:
        alert = Alert(event_id=doc["_id"], customer_id=doc["customer_id"], kind=AlertKind(doc["kind"]),
                      sku=doc["sku"], channel=doc["channel"], title=doc["title"], message=doc["message"],
                      link=doc["link"], before=doc["before"], after=doc["after"], currency=doc.get("currency"),
                      created_at=doc["created_at"])
        deliveries = {d: Attempt(DeliveryStatus(raw["status"]), raw.get("attempts", 0), raw.get("next_at"),
                                 raw.get("last_error"), raw.get("address"))
                      for d in OUTBOUND if (raw := doc.get(_field(d)))}
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"outbox message {doc.get('_id')!r} is incomplete ({exc})") from exc
    return OutboxMessage(alert, deliveries, in_app=bool(doc.get("in_app")), read_at=doc.get("read_at"),
                         suppressed=doc.get("suppressed"))
