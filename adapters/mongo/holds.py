"""Stock holds in MongoDB: `stock_holds`, one document per SKU (`_id`), with its holds and a version
(a token every write renews).

Every change reads the SKU's document, decides with the rules of domain/holds.py, and writes over
the version it read (insert when there was none, delete when no hold is left), retrying when another
writer got there first: the last unit goes to one cart, whichever process asks, with no transaction.
Lapsed holds are ignored on read and dropped by the next write (or `expire`, which `next`, the
earliest expiry, finds).

A request's read is one `_id` read of `stock_hold_skus` (`_id: "live"`: every held SKU with a time
at or after its holds' expiry), then one `_id` read per SKU of the request found there: the
embedded store scans for anything but an `_id`, and most SKUs are held by no one. That list is
kept as one JSON string, which the embedded store reads as fast as an empty document (a field per
SKU costs it ~3 µs each), rewritten over its version. A SKU is entered before its holds are
written, with its expiry rounded up (`ENTERED_FOR`, so that most hold changes need no write there),
and left once that time has passed, so a reader never misses a live hold.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient

from adapters.mongo.client import NAME, call
from adapters.mongo.events import announce
from domain.errors import BackendUnavailable, DomainError, MalformedPayload
from domain.holds import Hold, HoldRequest, consumed, decide, live, released
from domain.ports import EventLog
from domain.records import LiveEventKind

WHAT = "stock holds"
LIVE = "live"  # the document of `stock_hold_skus` naming every SKU with holds
ENTERED_FOR = 900  # seconds: a SKU's entry there is rounded up to this, and outlives its holds by at most as much
MAX_ATTEMPTS = 100  # concurrent writers on one SKU each retry until their change lands

HoldCounter = Callable[[str, int], None]  # (taken, refused, expired, released), how many


def _hold(entry: dict[str, Any]) -> Hold:
    try:
        return Hold(str(entry["c"]), int(entry["q"]), entry["u"], frozenset(int(p) for p in entry["p"]),
                    entry.get("x"))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"a stock hold is incomplete ({exc})") from exc


def _entry(hold: Hold) -> dict[str, Any]:
    return {"c": hold.cart_id, "q": hold.quantity, "u": hold.until, "p": sorted(hold.pool), "x": hold.consumed_at}


def _held(holds: Sequence[Hold]) -> list[tuple[str, int, datetime | None]]:
    """What a figure can tell of the holds (their expiry aside)."""
    return sorted((h.cart_id, h.quantity, h.consumed_at) for h in holds)


class MongoStockHolds:
    def __init__(self, client: AsyncMongoClient, database: str, events: EventLog | None = None,
                 counted: HoldCounter | None = None) -> None:
        self.holds = client[database]["stock_holds"]
        self.skus = client[database]["stock_hold_skus"]
        self.events = events
        self.counted = counted or (lambda outcome, n: None)

    async def prepare(self) -> None:
        await call(self.holds.create_index([("next", ASCENDING)]), WHAT)

    async def holds_of(self, skus: Sequence[str], now: datetime) -> dict[str, list[Hold]]:
        if not skus:
            return {}
        _, entered = await self._entered()
        held = [sku for sku in sorted(set(skus)) if entered.get(sku, 0) > now.timestamp()]
        docs = await asyncio.gather(*(call(self.holds.find_one({"_id": sku}), WHAT) for sku in held))
        found = {sku: live(map(_hold, doc.get("holds") or ()), now) for sku, doc in zip(held, docs, strict=True) if doc}
        return {sku: holds for sku, holds in found.items() if holds}

    async def held(self, skus: Sequence[str], now: datetime, *, except_cart: str | None = None) -> dict[str, int]:
        totals = {sku: sum(h.quantity for h in holds if h.cart_id != except_cart)
                  for sku, holds in (await self.holds_of(skus, now)).items()}
        return {sku: n for sku, n in totals.items() if n}

    async def hold(self, cart_id: str, wishes: Mapping[str, HoldRequest], now: datetime) -> dict[str, int]:
        refused: dict[str, int] = {}
        before: dict[str, Hold | None] = {}  # the cart's holds as they were, on the SKUs changed
        for sku in sorted(wishes):
            outcome: list[int | None] = [None]

            def wish(holds: list[Hold], sku: str = sku, outcome: list[int | None] = outcome) -> list[Hold]:
                after, outcome[0] = decide(holds, cart_id, wishes[sku])
                return after

            previous = await self._change(sku, now, wish)
            if outcome[0] is not None:
                refused[sku] = outcome[0]
            elif previous is not None:
                before[sku] = next((h for h in previous if h.cart_id == cart_id), None)
        for sku, was in before.items() if refused else ():
            await self._change(sku, now, _restored(cart_id, was))
        self.counted("refused" if refused else "taken", len(refused) if refused else len(before))
        return refused

    async def release(self, cart_id: str, skus: Collection[str], now: datetime) -> None:
        changed = [await self._change(sku, now, lambda holds: released(holds, cart_id)) for sku in sorted(set(skus))]
        self.counted("released", sum(1 for c in changed if c is not None))

    async def consume(self, cart_id: str, skus: Collection[str], at: datetime, until: datetime,
                      now: datetime) -> None:
        for sku in sorted(set(skus)):
            await self._change(sku, now, lambda holds: consumed(holds, cart_id, at, until))

    async def expire(self, now: datetime, limit: int) -> int:
        due = await call(self.holds.find({"next": {"$lte": now}}, {"_id": 1}).limit(limit).to_list(None), WHAT)
        changed = [await self._change(str(doc["_id"]), now, lambda holds: holds) for doc in due]
        expired = sum(1 for c in changed if c is not None)
        self.counted("expired", expired)
        await self._enter({}, now)  # the SKUs whose holds all lapsed leave the list
        return expired

    async def _entered(self) -> tuple[dict[str, Any] | None, dict[str, float]]:
        """The list of held SKUs as stored, and each SKU's time (seconds since the epoch)."""
        doc = await call(self.skus.find_one({"_id": LIVE}), WHAT)
        try:
            return doc, json.loads(doc["skus"]) if doc else {}
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPayload(NAME, f"the list of held SKUs is unreadable ({exc})") from exc

    async def _enter(self, wanted: Mapping[str, datetime], now: datetime) -> None:
        """Enters each SKU until at least its time (rounded up), dropping those whose time passed
        before `now`; written over the list's version, and not at all when nothing changes."""
        for attempt in range(MAX_ATTEMPTS):
            doc, entered = await self._entered()
            kept = {sku: t for sku, t in entered.items() if t > now.timestamp()}
            for sku, until in wanted.items():
                if kept.get(sku, 0) < until.timestamp():
                    kept[sku] = math.ceil(until.timestamp() / ENTERED_FOR) * ENTERED_FOR
            if kept == entered:
                return
            text = json.dumps(kept, separators=(",", ":"))
            version = doc.get("v", 0) if doc else 0
            try:
                written = await call(self.skus.update_one({"_id": LIVE, "v": version},
                                                          {"$set": {"v": version + 1, "skus": text}},
                                                          upsert=doc is None), WHAT, on_duplicate=_Raced())
            except _Raced:  # another writer made the list first
                written = None
            if written is not None and (written.matched_count or written.upserted_id is not None):
                return
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        raise BackendUnavailable(NAME, "the list of held SKUs changed too often to enter a SKU")

    async def _change(self, sku: str, now: datetime, change: Callable[[list[Hold]], list[Hold]]) -> list[Hold] | None:
        """Applies `change` to the SKU's live holds and writes the result over the version read; the
        holds stored before (lapsed ones too) when it wrote, None when there was nothing to write."""
        for attempt in range(MAX_ATTEMPTS):
            doc = await call(self.holds.find_one({"_id": sku}), WHAT)
            stored = [_hold(e) for e in (doc or {}).get("holds") or ()]
            after = change(live(stored, now))
            if after == stored:
                return None
            if await self._write(sku, doc, after, now):
                if _held(stored) != _held(after):
                    await announce(self.events, [(LiveEventKind.STOCK, sku, None)], now, f"the holds of {sku}")
                return stored
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        raise BackendUnavailable(NAME, f"the holds of {sku} changed too often to apply a change")

    async def _write(self, sku: str, doc: dict[str, Any] | None, holds: list[Hold], now: datetime) -> bool:
        """Writes `holds` over `doc` (None: there was none) if no other writer changed it meanwhile,
        the SKU entered among the held ones first."""
        if holds:
            await self._enter({sku: max(h.until for h in holds)}, now)
        # the version is a fresh token at every write, never a count: a document deleted and made
        # again cannot come back to the version a slow writer read (no ABA)
        fields = {"v": uuid.uuid4().hex, "holds": [_entry(h) for h in holds],
                  "next": min((h.until for h in holds), default=None)}
        if doc is None:
            try:
                await call(self.holds.insert_one({"_id": sku, **fields}), WHAT, on_duplicate=_Raced())
            except _Raced:
                return False
            return True
        if not holds:
            gone = await call(self.holds.delete_one({"_id": sku, "v": doc.get("v")}), WHAT)
            return gone.deleted_count == 1
        written = await call(self.holds.update_one({"_id": sku, "v": doc.get("v")}, {"$set": fields}), WHAT)
        return written.matched_count == 1


def _restored(cart_id: str, was: Hold | None) -> Callable[[list[Hold]], list[Hold]]:
    """Sets the cart's hold back to `was` (None: none)."""
    return lambda holds: [*released(holds, cart_id), *([was] if was is not None else [])]


class _Raced(DomainError):
    """Another writer made the SKU's document first."""
