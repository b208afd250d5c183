"""Persisted GraphQL documents in MongoDB, one per SHA-256 of the text."""

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
        """Nothing to index: documents are found by _id, their hash."""

    async def get(self, sha256: str) -> str | None:
        doc = await call(self.documents.find_one({"_id": sha256}, {"document": 1}), WHAT)
        return doc["document"] if doc else None

    async def put(self, sha256: str, document: str) -> None:
        try:
            await call(self.documents.insert_one({"_id": sha256, "document": document, "at": datetime.now(UTC)}),
                       WHAT, on_duplicate=_Known())
        except _Known:
            pass  # the same hash is the same text


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
