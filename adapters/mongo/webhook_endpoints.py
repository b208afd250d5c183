"""Partner webhook endpoints in MongoDB (`webhook_endpoints`, by `_id`), and the delivery worker's
lease and position in the event log (in `sweeps`, as other background jobs keep theirs). Endpoints
are few (at most `webhooks.max_endpoints_per_key` per key): listing them is one read of all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument

from adapters.mongo import leases
from adapters.mongo.client import call
from domain.errors import MalformedPayload
from domain.webhooks import Disabled, Endpoint, EndpointState, Secret, WebhookEventKind

WHAT = "webhook endpoints"
JOB = "webhooks"


class MongoWebhookEndpoints:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.endpoints = client[database]["webhook_endpoints"]

    async def prepare(self) -> None:
        """Nothing to index: read by `_id`, or all at once."""

    async def insert(self, endpoint: Endpoint) -> None:
        await call(self.endpoints.insert_one(_document(endpoint)), WHAT)

    async def get(self, endpoint_id: str) -> Endpoint | None:
        doc = await call(self.endpoints.find_one({"_id": endpoint_id}), WHAT)
        return _endpoint(doc) if doc else None

    async def all(self, owner_key_id: str | None = None) -> list[Endpoint]:
        query = {} if owner_key_id is None else {"owner_key_id": owner_key_id}
        found = self.endpoints.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_endpoint(doc) for doc in await call(found.to_list(), WHAT)]

    async def count(self, owner_key_id: str) -> int:
        return await call(self.endpoints.count_documents({"owner_key_id": owner_key_id}), WHAT)

    async def delete(self, endpoint_id: str) -> bool:
        return (await call(self.endpoints.delete_one({"_id": endpoint_id}), WHAT)).deleted_count == 1

    async def set_secrets(self, endpoint_id: str, secrets: Sequence[Secret]) -> Endpoint | None:
        return await self._update(endpoint_id, {"$set": {"secrets": [_secret(s) for s in secrets]}})

    async def enable(self, endpoint_id: str) -> Endpoint | None:
        return await self._update(endpoint_id, {"$set": {"state": EndpointState.ACTIVE.value,
                                                         "consecutive_failures": 0}})

    async def failed(self, endpoint_id: str, disable_after: int, record: Disabled) -> bool:
        counted = await call(self.endpoints.find_one_and_update(
            {"_id": endpoint_id}, {"$inc": {"consecutive_failures": 1}}, return_document=ReturnDocument.AFTER), WHAT)
        if counted is None or counted.get("consecutive_failures", 0) < disable_after:
            return False
        result = await call(self.endpoints.update_one(
            {"_id": endpoint_id, "state": EndpointState.ACTIVE.value},
            {"$set": {"state": EndpointState.DISABLED.value, "disabled": {
                "at": record.at, "reason": record.reason, "last_status": record.last_status}}}), WHAT)
        return result.modified_count == 1

    async def succeeded(self, endpoint_id: str) -> None:
        await call(self.endpoints.update_one({"_id": endpoint_id, "consecutive_failures": {"$ne": 0}},
                                             {"$set": {"consecutive_failures": 0}}), WHAT)

    async def _update(self, endpoint_id: str, change: dict[str, Any]) -> Endpoint | None:
        doc = await call(self.endpoints.find_one_and_update({"_id": endpoint_id}, change,
                                                            return_document=ReturnDocument.AFTER), WHAT)
        return _endpoint(doc) if doc else None


class MongoWebhookWorkerState:
    """The delivery worker's lease and the last event id it decided."""

    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.sweeps = client[database]["sweeps"]

    async def claim(self, now: datetime, hold: timedelta) -> bool:
        return await leases.claim(self.sweeps, JOB, now, hold, WHAT)

    async def release(self, held_until: datetime, until: datetime) -> None:
        await leases.release(self.sweeps, JOB, held_until, until, WHAT)

    async def position(self) -> int | None:
        doc = await call(self.sweeps.find_one({"_id": JOB}, {"position": 1}), WHAT)
        found = (doc or {}).get("position")
        return int(found) if found is not None else None

    async def save_position(self, event_id: int) -> None:
        await call(self.sweeps.update_one({"_id": JOB}, {"$set": {"position": event_id}}, upsert=True), WHAT)


def _secret(secret: Secret) -> dict[str, Any]:
    return {"value": secret.value, "created_at": secret.created_at, "expires_at": secret.expires_at}


def _document(e: Endpoint) -> dict[str, Any]:
    return {"_id": e.endpoint_id, "url": e.url, "channel": e.channel, "events": sorted(e.events),
            "owner_key_id": e.owner_key_id, "secrets": [_secret(s) for s in e.secrets], "created_at": e.created_at,
            "state": e.state.value, "disabled": None, "consecutive_failures": e.consecutive_failures}


def _endpoint(doc: dict[str, Any]) -> Endpoint:
    try:
        disabled = doc.get("disabled")
        return Endpoint(
            endpoint_id=doc["_id"], url=doc["url"], channel=doc["channel"],
            events=frozenset(WebhookEventKind(k) for k in doc["events"]), owner_key_id=doc["owner_key_id"],
            secrets=tuple(Secret(s["value"], s["created_at"], s.get("expires_at")) for s in doc["secrets"]),
            created_at=doc["created_at"], state=EndpointState(doc["state"]),
            disabled=Disabled(disabled["at"], disabled["reason"], disabled.get("last_status")) if disabled else None,
            consecutive_failures=int(doc.get("consecutive_failures", 0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"webhook endpoint {doc.get('_id')!r} is incomplete ({exc})") from exc
