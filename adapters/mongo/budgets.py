"""Shared token buckets (API-key budgets) in MongoDB, one document each, swapped by version."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from adapters.mongo.client import call
from domain.api_keys import BucketState
from domain.errors import DomainError

WHAT = "budget store"


class MongoBudgetStore:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.buckets = client[database]["budgets"]

    async def prepare(self) -> None:
        """Nothing to index: buckets are found by _id."""

    async def read(self, bucket_id: str) -> BucketState | None:
        doc = await call(self.buckets.find_one({"_id": bucket_id}), WHAT)
        return BucketState(tokens=doc["tokens"], at=doc["at"], version=doc["version"]) if doc else None

    async def swap(self, bucket_id: str, new: BucketState, expected_version: int | None) -> bool:
        fields = {"tokens": new.tokens, "at": new.at, "version": new.version}
        if expected_version is None:
            try:
                await call(self.buckets.insert_one({"_id": bucket_id, **fields}), WHAT,
                           on_duplicate=_Raced())
            except _Raced:
                return False
            return True
        result = await call(self.buckets.update_one({"_id": bucket_id, "version": expected_version},
                                                    {"$set": fields}), WHAT)
        return result.modified_count == 1


class _Raced(DomainError):
    """Another process created the bucket first."""
