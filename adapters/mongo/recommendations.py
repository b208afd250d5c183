"""The recommendation counts in MongoDB, one document per counted thing, each read by an index with a
limit, never a scan:
- `recommendation_pairs`: a product bought with another (`a`, `b`, `count`), both directions;
- `recommendation_popular`: the orders holding a product, per channel and over all (`channel`, `product`);
- `recommendation_channels`: the orders counted per channel and over all;
- `recommendation_bought`: what each customer bought (`customer`, `product`);
- `recommendation_orders`: what each order added (its products, channel and customer), so an order
  read again adds only its difference;
- `recommendation_state`: the feed's mark and the sequence of folds.

Exactly once without transactions: a fold takes the next sequence number, records the orders' new
baskets as pending under it, applies the counts' difference, then makes the baskets current. Each
count document remembers the last fold that changed it (`last_seq`) and is changed only by a later
one (an upsert whose filter misses an applied document meets its _id: a duplicate, ignored), so a
fold applied again, after a crash between two of its writes, changes nothing it had changed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, PyMongoError

from adapters.mongo import leases
from adapters.mongo.client import NAME, call
from domain.errors import BackendUnavailable
from domain.records import ChangeMark
from domain.recommendations import ALL_CHANNELS, Basket, Delta, Neighbour, OrderEvent

WHAT = "recommendation store"
LEASE = "recommendations"
DUPLICATE_KEY = 11000


def _basket_doc(basket: Basket) -> dict[str, Any]:
    return {"products": sorted(basket.products), "channel": basket.channel, "customer": basket.customer_id}


def _basket(doc: dict[str, Any] | None) -> Basket:
    if not doc:
        return Basket()
    return Basket(frozenset(doc.get("products") or ()), doc.get("channel"), doc.get("customer"))


class MongoRecommendationStore:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        db = client[database]
        self.pairs = db["recommendation_pairs"]
        self.popular_ = db["recommendation_popular"]
        self.channels = db["recommendation_channels"]
        self.bought = db["recommendation_bought"]
        self.orders = db["recommendation_orders"]
        self.state = db["recommendation_state"]
        self.leases = db["leases"]

    async def prepare(self) -> None:
        await call(self.pairs.create_index([("a", ASCENDING), ("count", DESCENDING), ("b", ASCENDING)]), WHAT)
        await call(self.popular_.create_index([("channel", ASCENDING), ("count", DESCENDING),
                                               ("product", ASCENDING)]), WHAT)
        await call(self.bought.create_index([("customer", ASCENDING), ("last_seq", DESCENDING)]), WHAT)
        await call(self.orders.create_index([("pending_seq", ASCENDING)]), WHAT)

    async def claim_pass(self, now: datetime, every: timedelta) -> bool:
        return await leases.claim(self.leases, LEASE, now, every, WHAT)

    async def mark(self) -> ChangeMark | None:
        doc = await call(self.state.find_one({"_id": "mark"}), WHAT)
        return ChangeMark(doc["at"], doc["key"]) if doc else None

    async def resume(self) -> int:
        pending = await call(self.orders.find({"pending_seq": {"$exists": True}}).sort("pending_seq", 1).to_list(None),
                             WHAT)
        by_seq: dict[int, list[dict]] = defaultdict(list)
        for doc in pending:
            by_seq[doc["pending_seq"]].append(doc)
        for seq, docs in sorted(by_seq.items()):
            await self._apply(seq, [(d["_id"], _basket(d.get("counted")), _basket(d.get("next"))) for d in docs])
        return len(pending)

    async def fold(self, events: Sequence[OrderEvent], mark: ChangeMark) -> int:
        latest = {e.order_id: e for e in events}  # a page holds an order once; the last word counts anyway
        kept = {d["_id"]: _basket(d.get("counted")) for d in await call(
            self.orders.find({"_id": {"$in": list(latest)}}, {"counted": 1}).to_list(None), WHAT)}
        changed = [(order_id, kept.get(order_id, Basket()), Basket.of(e)) for order_id, e in latest.items()
                   if Basket.of(e) != kept.get(order_id, Basket())]
        if changed:
            seq = await self._next_seq()
            await self._bulk(self.orders, [UpdateOne({"_id": order_id}, {"$set": {
                "pending_seq": seq, "next": _basket_doc(after)}}, upsert=True) for order_id, _, after in changed])
            await self._apply(seq, changed)
        await call(self.state.update_one({"_id": "mark"}, {"$set": {"at": mark.at, "key": mark.key}}, upsert=True),
                   WHAT)
        return len(changed)

    async def _next_seq(self) -> int:
        doc = await call(self.state.find_one_and_update({"_id": "seq"}, {"$inc": {"value": 1}}, upsert=True,
                                                        return_document=ReturnDocument.AFTER), WHAT)
        return int(doc["value"])

    async def _apply(self, seq: int, changed: list[tuple[int, Basket, Basket]]) -> None:
        """Applies the fold `seq` (again, harmlessly, after a crash) and makes its baskets current."""
        delta = Delta.empty()
        for _, before, after in changed:
            delta.change(before, after)
        delta = delta.pruned()

        def guarded(key: str, inc: int, on_insert: dict[str, Any]) -> UpdateOne:
            return UpdateOne({"_id": key, "last_seq": {"$lt": seq}},
                             {"$inc": {"count": inc}, "$set": {"last_seq": seq}, "$setOnInsert": on_insert},
                             upsert=True)

        await self._bulk(self.pairs, [guarded(f"{a}:{b}", n, {"a": a, "b": b}) for (a, b), n in delta.pairs.items()])
        await self._bulk(self.popular_, [guarded(f"{c}:{p}", n, {"channel": c, "product": p})
                                         for (c, p), n in delta.popular.items()])
        await self._bulk(self.channels, [guarded(c, n, {}) for c, n in delta.orders.items()])
        await self._bulk(self.bought, [guarded(f"{c}:{p}", n, {"customer": c, "product": p})
                                       for (c, p), n in delta.bought.items()])
        await self._bulk(self.orders, [UpdateOne({"_id": order_id, "pending_seq": seq}, {
            "$set": {"counted": _basket_doc(after)}, "$unset": {"pending_seq": "", "next": ""}})
            for order_id, _, after in changed])

    @staticmethod
    async def _bulk(collection: Any, operations: list[UpdateOne]) -> None:
        """The writes in any order; one refused as a duplicate was applied before (see the module)."""
        if not operations:
            return
        try:
            await collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", ())):
                raise BackendUnavailable(NAME, f"{WHAT} failed (BulkWriteError)") from exc
        except PyMongoError as exc:
            raise BackendUnavailable(NAME, f"{WHAT} failed ({type(exc).__name__})") from exc

    async def neighbours(self, product_ids: Collection[int], limit: int) -> dict[int, list[Neighbour]]:
        async def of(product: int) -> list[Neighbour]:  # an index range read with a limit
            docs = await call(self.pairs.find({"a": product, "count": {"$gt": 0}}, {"b": 1, "count": 1})
                              .sort([("count", DESCENDING), ("b", ASCENDING)]).limit(limit).to_list(None), WHAT)
            return [Neighbour(d["b"], d["count"]) for d in docs]

        products = list(product_ids)
        return dict(zip(products, await asyncio.gather(*(of(p) for p in products)), strict=True))

    async def orders_with(self, product_ids: Collection[int]) -> dict[int, int]:
        docs = await call(self.popular_.find({"_id": {"$in": [f"{ALL_CHANNELS}:{p}" for p in product_ids]}},
                                             {"product": 1, "count": 1}).to_list(None), WHAT)
        return {d["product"]: d["count"] for d in docs}

    async def popular(self, channel: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        total = await call(self.channels.find_one({"_id": channel}), WHAT)
        docs = await call(self.popular_.find({"channel": channel, "count": {"$gt": 0}}, {"product": 1, "count": 1})
                          .sort([("count", DESCENDING), ("product", ASCENDING)]).limit(limit).to_list(None), WHAT)
        return (total or {}).get("count", 0), [(d["product"], d["count"]) for d in docs]

    async def bought_by(self, customer_id: str, limit: int) -> list[int]:
        docs = await call(self.bought.find({"customer": customer_id, "count": {"$gt": 0}}, {"product": 1})
                          .sort("last_seq", DESCENDING).limit(limit).to_list(None), WHAT)
        return [d["product"] for d in docs]

    async def bought_among(self, customer_id: str, product_ids: Collection[int]) -> set[int]:
        docs = await call(self.bought.find({"_id": {"$in": [f"{customer_id}:{p}" for p in product_ids]},
                                            "count": {"$gt": 0}}, {"product": 1}).to_list(None), WHAT)
        return {d["product"] for d in docs}
