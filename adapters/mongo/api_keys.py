"""API keys in MongoDB, by public id; every management action is appended to `key_events`."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient

from adapters.mongo.client import call
from domain.api_keys import ApiKey, KeyEvent, KeyKind, Scope


def to_document(key: ApiKey) -> dict[str, Any]:
    return {"_id": key.key_id, "name": key.name, "kind": key.kind.value, "channel": key.channel,
            "scopes": [s.value for s in key.scopes], "requests_per_minute": key.requests_per_minute,
            "cost_per_minute": key.cost_per_minute, "secret_sha256": key.secret_sha256,
            "created_at": key.created_at, "expires_at": key.expires_at, "last_used_at": key.last_used_at,
            "revoked_at": key.revoked_at, "documents": key.documents, "channels": list(key.channels)}


def from_document(doc: dict[str, Any]) -> ApiKey:
    return ApiKey(key_id=doc["_id"], name=doc["name"], kind=KeyKind(doc["kind"]), channel=doc.get("channel"),
                  scopes=tuple(Scope(s) for s in doc.get("scopes", ())),
                  requests_per_minute=doc["requests_per_minute"], cost_per_minute=doc["cost_per_minute"],
                  secret_sha256=doc["secret_sha256"], created_at=doc["created_at"], expires_at=doc.get("expires_at"),
                  last_used_at=doc.get("last_used_at"), revoked_at=doc.get("revoked_at"),
                  documents=doc.get("documents"), channels=tuple(doc.get("channels") or ()))


class MongoApiKeyStore:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.keys = client[database]["api_keys"]
        self.event_log = client[database]["key_events"]

    async def prepare(self) -> None:
        await self._call(self.event_log.create_index([("key_id", 1), ("at", 1)], name="events_by_key"))

    async def insert(self, key: ApiKey, event: KeyEvent) -> None:
        await self._call(self.keys.insert_one(to_document(key)))
        await self._record(event)

    async def get(self, key_id: str) -> ApiKey | None:
        doc = await self._call(self.keys.find_one({"_id": key_id}))
        return from_document(doc) if doc else None

    async def all(self) -> list[ApiKey]:
        return [from_document(doc) async for doc in self.keys.find({}).sort("created_at", 1)]

    async def revoke(self, key_id: str, at: datetime, event: KeyEvent) -> bool:
        # conditional and targeted: a rotation elsewhere (or a stale read) can never un-revoke the key
        result = await self._call(self.keys.update_one({"_id": key_id, "revoked_at": None},
                                                       {"$set": {"revoked_at": at}}))
        if result.modified_count:
            await self._record(event)
        return result.modified_count == 1

    async def replace_secret(self, key_id: str, old_sha256: str, new_sha256: str, event: KeyEvent) -> bool:
        result = await self._call(self.keys.update_one(
            {"_id": key_id, "revoked_at": None, "secret_sha256": old_sha256},
            {"$set": {"secret_sha256": new_sha256}}))
        if result.modified_count:
            await self._record(event)
        return result.modified_count == 1

    async def touch(self, key_id: str, at: datetime) -> None:
        await self._call(self.keys.update_one({"_id": key_id}, {"$set": {"last_used_at": at}}))

    async def events(self, key_id: str | None = None, limit: int = 100) -> list[KeyEvent]:
        cursor = self.event_log.find({"key_id": key_id} if key_id else {}).sort("at", -1).limit(limit)
        return [KeyEvent(action=d["action"], key_id=d["key_id"], actor=d["actor"], at=d["at"])
                async for d in cursor]

    async def _record(self, event: KeyEvent) -> None:
        await self._call(self.event_log.insert_one({"action": event.action, "key_id": event.key_id,
                                                 "actor": event.actor, "at": event.at}))

    @staticmethod
    async def _call(operation: Awaitable[Any]) -> Any:
        return await call(operation, "key store")
