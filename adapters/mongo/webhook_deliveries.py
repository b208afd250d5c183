"""The partner webhooks' outbox in MongoDB (`webhook_deliveries`): one document per endpoint and
event (`_id` the delivery id, so a decision made twice is stored once), holding the signed body and
every attempt. Indexed by state and event id: the sender reads the unsettled ones in event order."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient

from adapters.mongo.client import call
from adapters.mongo.outbox import insert_new
from domain.errors import MalformedPayload
from domain.webhooks import Attempt, Delivery, DeliveryState

WHAT = "webhook deliveries"
UNSETTLED = [DeliveryState.PENDING.value, DeliveryState.SENDING.value]


class MongoWebhookDeliveries:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.deliveries = client[database]["webhook_deliveries"]

    async def prepare(self) -> None:
        await call(self.deliveries.create_index([("state", ASCENDING), ("event_id", ASCENDING)], name="unsettled"),
                   WHAT)
        await call(self.deliveries.create_index([("endpoint_id", ASCENDING), ("event_id", DESCENDING)],
                                                name="by_endpoint"), WHAT)

    async def record(self, deliveries: Sequence[Delivery]) -> int:
        if not deliveries:
            return 0
        return await call(insert_new(self.deliveries, [_document(d) for d in deliveries]), WHAT)

    async def unsettled(self, endpoint_ids: Collection[str], limit: int) -> list[Delivery]:
        query = {"state": {"$in": UNSETTLED}, "endpoint_id": {"$in": list(endpoint_ids)}}
        found = self.deliveries.find(query).sort([("event_id", ASCENDING),
                                                                          ("_id", ASCENDING)]).limit(limit)
        return [_delivery(doc) for doc in await call(found.to_list(), WHAT)]

    async def claim(self, delivery_id: str, now: datetime, stale_before: datetime) -> bool:
        claimable = {"_id": delivery_id, "$or": [{"state": DeliveryState.PENDING.value},
                                                 {"state": DeliveryState.SENDING.value,
                                                  "claimed_at": {"$lt": stale_before}}]}
        result = await call(self.deliveries.update_one(
            claimable, {"$set": {"state": DeliveryState.SENDING.value, "claimed_at": now}}), WHAT)
        return result.modified_count == 1

    async def settle(self, delivery_id: str, attempt: Attempt, state: DeliveryState,
                     next_at: datetime | None) -> None:
        await call(self.deliveries.update_one({"_id": delivery_id}, {
            "$set": {"state": state.value, "next_at": next_at},
            "$push": {"attempts": {"at": attempt.at, "status": attempt.status, "error": attempt.error}}}), WHAT)

    async def of_endpoint(self, endpoint_id: str, first: int) -> list[Delivery]:
        found = self.deliveries.find({"endpoint_id": endpoint_id}).sort("event_id", DESCENDING).limit(first)
        return [_delivery(doc) for doc in await call(found.to_list(), WHAT)]

    async def prune(self, before: datetime) -> int:
        settled = {"state": {"$nin": UNSETTLED}, "created_at": {"$lt": before}}
        return (await call(self.deliveries.delete_many(settled), WHAT)).deleted_count

    async def forget_endpoint(self, endpoint_id: str) -> None:
        await call(self.deliveries.delete_many({"endpoint_id": endpoint_id}), WHAT)


def _document(d: Delivery) -> dict[str, Any]:
    return {"_id": d.delivery_id, "endpoint_id": d.endpoint_id, "event_id": d.event_id, "sku": d.sku,
            "body": d.body.decode(), "created_at": d.created_at, "state": d.state.value, "next_at": d.next_at,
            "attempts": [{"at": a.at, "status": a.status, "error": a.error} for a in d.attempts]}


def _delivery(doc: dict[str, Any]) -> Delivery:
    try:
        return Delivery(delivery_id=doc["_id"], endpoint_id=doc["endpoint_id"], event_id=int(doc["event_id"]),
                        sku=doc["sku"], body=doc["body"].encode(), created_at=doc["created_at"],
                        state=DeliveryState(doc["state"]), next_at=doc.get("next_at"),
                        attempts=tuple(Attempt(a["at"], a.get("status"), a.get("error"))
                                       for a in doc.get("attempts") or ()))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedPayload("mongodb", f"webhook delivery {doc.get('_id')!r} is incomplete ({exc})") from exc
