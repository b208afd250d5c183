"""Persisted GraphQL documents in MongoDB, one per SHA-256 of the text: registered by an API key
(`owner`, counted in its quota, evicted by last use, `used_at`) or pinned by a trusted list."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from adapters.mongo.client import call
from domain.errors import DomainError

WHAT = "document store"


class MongoDocumentStore:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.documents = client[database]["documents"]
        self.lists = client[database]["document_lists"]

    async def prepare(self) -> None:
        """Documents are found by _id, their hash; a key's, by last use, for eviction."""
        await call(self.documents.create_index([("owner", 1), ("used_at", 1)], name="documents_by_owner_use"), WHAT)

    async def get(self, sha256: str) -> str | None:
        doc = await call(self.documents.find_one({"_id": sha256}, {"document": 1}), WHAT)
        return doc["document"] if doc else None

    async def put(self, sha256: str, document: str, owner: str | None = None) -> None:
        now = datetime.now(UTC)
        if owner is None:  # a trusted list's: pinned, whoever registered it first
            await call(self.documents.update_one(
                {"_id": sha256}, {"$setOnInsert": {"document": document, "at": now, "used_at": now},
                                  "$set": {"owner": None}}, upsert=True), WHAT)
            return
        try:
            await call(self.documents.insert_one({"_id": sha256, "document": document, "owner": owner, "at": now,
                                                  "used_at": now}), WHAT, on_duplicate=_Known())
        except _Known:
            pass  # the same hash is the same text

    async def touch(self, sha256: str, at: datetime) -> None:
        await call(self.documents.update_one({"_id": sha256}, {"$set": {"used_at": at}}), WHAT)

    async def evict(self, owner: str, keep: int) -> list[str]:
        over = await call(self.documents.count_documents({"owner": owner}), WHAT) - keep
        if over <= 0:
            return []
        oldest = [d["_id"] async for d in self.documents.find({"owner": owner}, {"_id": 1})
                  .sort("used_at", 1).limit(over)]
        await call(self.documents.delete_many({"_id": {"$in": oldest}, "owner": owner}), WHAT)
        return oldest

    async def add_to_list(self, name: str, hashes: list[str], replace: bool = False) -> int:
        change: dict[str, dict[str, object]] = (
            {"$set": {"hashes": sorted(set(hashes))}} if replace else {"$addToSet": {"hashes": {"$each": hashes}}})
        change.setdefault("$set", {})["updated_at"] = datetime.now(UTC)
        await call(self.lists.update_one({"_id": name}, change, upsert=True), WHAT)
        return len(await self.list_hashes(name))

    async def list_hashes(self, name: str) -> frozenset[str]:
        doc = await call(self.lists.find_one({"_id": name}), WHAT)
        return frozenset(doc.get("hashes", ())) if doc else frozenset()


class _Known(DomainError):
    """Another request registered this document first."""
