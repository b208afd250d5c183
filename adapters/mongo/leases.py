"""Leases for background work that one gateway process at a time does (a sweep, a poll), in a
MongoDB collection of one document per job: who may do it until when. Claimed by an upsert whose
filter only matches an expired lease, so exactly one claimant of an interval wins."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection

from adapters.mongo.client import call
from domain.errors import DomainError


async def claim(leases: AsyncCollection, job: str, now: datetime, every: timedelta, what: str,
                holder: str | None = None) -> bool:
    """True for the one process that may do `job` now: none has claimed it within `every`. `holder`,
    kept with the lease, is what a claimant gives back its own lease by (adapters/mongo/locks.py)."""
    free = {"_id": job, "$or": [{"leased_until": {"$lte": now}}, {"leased_until": {"$exists": False}}]}
    held = {"leased_until": now + every, **({"holder": holder} if holder is not None else {})}
    try:
        await call(leases.find_one_and_update(free, {"$set": held}, upsert=True), what, on_duplicate=_Leased())
    except _Leased:
        return False  # another process holds the lease: the filter missed, and the upsert met its _id
    return True


async def release(leases: AsyncCollection, job: str, held_until: datetime, until: datetime, what: str) -> None:
    """Moves the lease claimed until `held_until` to `until`; one another process claimed since is left alone."""
    await call(leases.update_one({"_id": job, "leased_until": {"$lte": held_until}},
                                 {"$set": {"leased_until": until}}), what)


class _Leased(DomainError):
    """Another process holds the lease."""
