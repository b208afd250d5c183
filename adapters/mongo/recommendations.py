"""The recommendation counts in MongoDB, one document per counted thing; a request reads top lists by
_id (and a customer's purchases by an index, with a limit), never a scan:
- `recommendation_pairs`: a product bought with another (`a`, `b`, `count`), both directions;
- `recommendation_popular`: the orders holding a product, per channel and over all (`channel`, `product`);
- `recommendation_channels`: the orders counted per channel and over all;
- `recommendation_bought`: what each customer bought (`customer`, `product`);
- `recommendation_top`: per product, its `TOP_KEPT` most frequent companions, and per channel its
  most ordered products, kept with the counts: what a request reads, one document by _id each;
- `recommendation_orders`: what each order added (its products, channel and customer), so an order
  read again adds only its difference;
- `recommendation_state`: the feed's mark and the sequence of folds.

Exactly once without transactions: a fold takes the next sequence number, records the orders' new
baskets as pending under it, applies the counts' difference, then makes the baskets current. Each
count document remembers the last fold that changed it (`last_seq`) and is changed only by a later
one (an upsert whose filter misses an applied document meets its _id: a duplicate, ignored), so a
fold applied again, after a crash between two of its writes, changes nothing it had changed. The
top lists are set from the counts as they are after a fold (never incremented), so they too come
out the same however often a fold is applied. A count that falls (a cancelled order) may leave an
entry off a top list that another product, outside it, now deserves; the lists keep more entries
than a request reads (`TOP_KEPT`), and the next order holding the two sets it right.
"""

from __future__ import annotations

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
TOP_KEPT = 250  # entries of a top list: above the most candidates a request reads (resolvers/recommendations.py)


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
        self.top = db["recommendation_top"]
        self.state = db["recommendation_state"]
        self.leases = db["leases"]

    async def prepare(self) -> None:
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
        await self._set_top(self.pairs, "p", [(a, f"{a}:{b}", b) for a, b in delta.pairs])
        await self._set_top(self.popular_, "c", [(c, f"{c}:{p}", p) for c, p in delta.popular])
        await self._bulk(self.orders, [UpdateOne({"_id": order_id, "pending_seq": seq}, {
            "$set": {"counted": _basket_doc(after)}, "$unset": {"pending_seq": "", "next": ""}})
            for order_id, _, after in changed])

    async def _set_top(self, counts: Any, prefix: str, changed: list[tuple[int | str, str, int]]) -> None:
        """Sets the top lists of the owners of `changed` counts ((owner, count _id, entry)) from the
        counts as they are now."""
        if not changed:
            return
        now = {d["_id"]: d["count"] for d in await call(
            counts.find({"_id": {"$in": [key for _, key, _ in changed]}}, {"count": 1}).to_list(None), WHAT)}
        owners = {owner for owner, _, _ in changed}
        lists = {d["_id"]: {e[0]: e[1] for e in d["items"]} for d in await call(
            self.top.find({"_id": {"$in": [f"{prefix}:{o}" for o in owners]}}).to_list(None), WHAT)}
        for owner, key, entry in changed:
            kept = lists.setdefault(f"{prefix}:{owner}", {})
            if now.get(key, 0) > 0:
                kept[entry] = now[key]
            else:
                kept.pop(entry, None)
        await self._bulk(self.top, [UpdateOne({"_id": top_id}, {"$set": {"items": [
            [e, n] for e, n in sorted(kept.items(), key=lambda item: (-item[1], item[0]))[:TOP_KEPT]]}}, upsert=True)
            for top_id, kept in lists.items()])

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
        found = {d["_id"]: d["items"] for d in await call(
            self.top.find({"_id": {"$in": [f"p:{p}" for p in product_ids]}}).to_list(None), WHAT)}
        return {p: [Neighbour(b, n) for b, n in found.get(f"p:{p}", ())[:limit]] for p in product_ids}

    async def orders_with(self, product_ids: Collection[int]) -> dict[int, int]:
        docs = await call(self.popular_.find({"_id": {"$in": [f"{ALL_CHANNELS}:{p}" for p in product_ids]}},
                                             {"product": 1, "count": 1}).to_list(None), WHAT)
        return {d["product"]: d["count"] for d in docs}

    async def popular(self, channel: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        total = await call(self.channels.find_one({"_id": channel}), WHAT)
        top = await call(self.top.find_one({"_id": f"c:{channel}"}), WHAT)
        return (total or {}).get("count", 0), [(p, n) for p, n in (top or {}).get("items", ())[:limit]]

    async def bought_by(self, customer_id: str, limit: int) -> list[int]:
        docs = await call(self.bought.find({"customer": customer_id, "count": {"$gt": 0}}, {"product": 1})
                          .sort("last_seq", DESCENDING).limit(limit).to_list(None), WHAT)
        return [d["product"] for d in docs]

    async def bought_among(self, customer_id: str, product_ids: Collection[int]) -> set[int]:
        docs = await call(self.bought.find({"_id": {"$in": [f"{customer_id}:{p}" for p in product_ids]},
                                            "count": {"$gt": 0}}, {"product": 1}).to_list(None), WHAT)
        return {d["product"] for d in docs}
