"""The recommendation counts in MongoDB, a few documents per product, channel and customer, every one
read and written by _id (the embedded store scans for anything else, and writes a new document far
slower than it changes one, so counts are kept per owner, not per pair):
- `recommendation_counts`: `p:<product>`, the products bought with it and how often (`pairs`);
  `c:<channel>` (and `c:*`, every channel), the orders and each product's orders there;
  `u:<customer>`, what they bought, how often and in which fold last (the `MAX_KEPT_PER_CUSTOMER`
  most recent products);
- `recommendation_top`: what a request reads: per product, its orders and its `TOP_KEPT` most
  frequent companions; per channel, its orders and its `TOP_KEPT` most ordered products;
- `recommendation_orders`: what each order added (its products, channel and customer), by the
  thousand orders, so that an order read again adds only its difference;
- `recommendation_state`: the sequence of folds, the feed's mark, and the fold under way.

Exactly once without transactions, with one folding process at a time (the lease): a fold takes
the next sequence number and records its orders' changes in the state before it writes; every
counts document it changes takes that number (`last_seq`), and one that has it already is left
alone, so a fold applied again after a crash between its writes (`resume`) counts nothing twice.
The top lists and the orders' records are set, never incremented: written again, they come out the
same. A count that falls (a cancelled order) may leave an entry off a top list that another product,
outside it, now deserves; the lists keep more entries than a request reads (`TOP_KEPT`), and the
next order holding the two sets it right.

Top lists change only when a fold sets them, every poll interval at most: a process keeps those it
read for `TOP_CACHE_SECONDS` (and forgets them when it folds), so a product's or a customer's list
costs no store read while its top lists are fresh. What a customer bought is always read live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne

from adapters.mongo import leases
from adapters.mongo.client import call
from domain.records import ChangeMark
from domain.recommendations import ALL_CHANNELS, Basket, BoughtWith, Delta, Neighbour, OrderEvent

WHAT = "recommendation store"
LEASE = "recommendations"
STATE = "state"
TOP_KEPT = 250  # entries of a top list: above the most candidates a request reads (resolvers/recommendations.py)
MAX_KEPT_PER_CUSTOMER = 500  # a customer's most recent products kept: what their list starts from and leaves out
ORDERS_PER_RECORD = 1_000
TOP_CACHE_SECONDS = 5.0  # a top list read is reused this long: under the poll interval, as stale as a fold is late
MAX_TOPS_CACHED = 2_000  # top lists a process keeps at most (each up to TOP_KEPT entries)


def _basket_doc(basket: Basket) -> dict[str, Any]:
    return {"products": sorted(basket.products), "channel": basket.channel, "customer": basket.customer_id}


def _basket(doc: dict[str, Any] | None) -> Basket:
    if not doc:
        return Basket()
    return Basket(frozenset(doc.get("products") or ()), doc.get("channel"), doc.get("customer"))


def _record_id(order_id: int) -> str:
    return f"o:{order_id // ORDERS_PER_RECORD}"


def _top(counts: dict[str, int]) -> list[list[int]]:
    kept = sorted(((int(k), n) for k, n in counts.items() if n > 0), key=lambda e: (-e[1], e[0]))[:TOP_KEPT]
    return [[k, n] for k, n in kept]


class MongoRecommendationStore:
    def __init__(self, client: AsyncMongoClient, database: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        db = client[database]
        self.clock = clock
        self._held_until = datetime.min.replace(tzinfo=UTC)  # the lease this process claimed last
        self._tops: dict[str, tuple[datetime, dict[str, Any]]] = {}  # _id -> (read at, top list or {})
        self.counts = db["recommendation_counts"]
        self.top = db["recommendation_top"]
        self.orders = db["recommendation_orders"]
        self.state = db["recommendation_state"]
        self.leases = db["leases"]

    async def prepare(self) -> None:
        """Nothing to index: every document is found by _id."""

    async def claim_pass(self, now: datetime, every: timedelta) -> bool:
        if not await leases.claim(self.leases, LEASE, now, every, WHAT):
            return False
        self._held_until = now + every
        return True

    async def release_pass(self, until: datetime) -> None:
        await leases.release(self.leases, LEASE, self._held_until, until, WHAT)

    async def _state(self) -> dict[str, Any]:
        return await call(self.state.find_one({"_id": STATE}), WHAT) or {}

    async def mark(self) -> ChangeMark | None:
        state = await self._state()
        return ChangeMark(state["mark_at"], state["mark_key"]) if "mark_at" in state else None

    async def resume(self) -> int:
        pending = (await self._state()).get("pending")
        if not pending:
            return 0
        await self._apply(pending["seq"], [(c[0], _basket(c[1]), _basket(c[2])) for c in pending["changes"]])
        return len(pending["changes"])

    async def fold(self, events: Sequence[OrderEvent], mark: ChangeMark) -> int:
        if (await self._state()).get("pending"):
            await self.resume()
        latest = {e.order_id: e for e in events}  # a page holds an order once; the last word counts anyway
        kept = await self._records({_record_id(o) for o in latest})
        changed = [(order_id, before, after) for order_id, e in latest.items()
                   if (after := Basket.of(e)) != (before := _basket(kept.get(_record_id(order_id), {}).get(
                       str(order_id))))]
        update: dict[str, Any] = {"mark_at": mark.at, "mark_key": mark.key}
        if changed:
            seq = int((await self._state()).get("seq", 0)) + 1
            await call(self.state.update_one({"_id": STATE}, {"$set": {"pending": {"seq": seq, "changes": [
                [o, _basket_doc(b), _basket_doc(a)] for o, b, a in changed]}}}, upsert=True), WHAT)
            await self._apply(seq, changed)
            update["seq"] = seq
        await call(self.state.update_one({"_id": STATE}, {"$set": {**update, "pending": None}}, upsert=True), WHAT)
        return len(changed)

    async def _records(self, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        docs = await asyncio.gather(*(call(self.orders.find_one({"_id": r}), WHAT) for r in record_ids))
        return {d["_id"]: d.get("orders", {}) for d in docs if d}

    async def _apply(self, seq: int, changed: list[tuple[int, Basket, Basket]]) -> None:
        """Applies the fold `seq` to every counts document that has not had it, then sets the top lists
        and the orders' records from the result."""
        delta = Delta.empty()
        for _, before, after in changed:
            delta.change(before, after)
        delta = delta.pruned()
        by_product: dict[str, dict[str, int]] = {}
        for (a, b), n in delta.pairs.items():
            by_product.setdefault(f"p:{a}", {})[str(b)] = n
        by_channel: dict[str, dict[str, int]] = {}
        for (c, p), n in delta.popular.items():
            by_channel.setdefault(f"c:{c}", {})[str(p)] = n
        for c in delta.orders:
            by_channel.setdefault(f"c:{c}", {})
        by_customer: dict[str, dict[str, int]] = {}
        for (u, p), n in delta.bought.items():
            by_customer.setdefault(f"u:{u}", {})[str(p)] = n
        products = {f"p:{p}" for _, p in delta.popular} | set(by_product)
        every_key = f"c:{ALL_CHANNELS}"  # the products' order counts, for their top lists
        docs = await self._read(self.counts, products | set(by_channel) | set(by_customer) | {every_key})
        writes = []
        for key in products | set(by_channel) | set(by_customer):
            doc = docs.setdefault(key, {"_id": key})
            if int(doc.get("last_seq", 0)) >= seq or (key not in by_product and key.startswith("p:")):
                continue  # had this fold already (or nothing of it changes: only its order count, kept by `c:*`)
            if key.startswith("p:"):
                doc["pairs"] = _added(doc.get("pairs", {}), by_product[key])
            elif key.startswith("c:"):
                doc["products"] = _added(doc.get("products", {}), by_channel[key])
                doc["orders"] = int(doc.get("orders", 0)) + delta.orders.get(key[2:], 0)
            else:
                doc["products"] = _bought(doc.get("products", {}), by_customer[key], seq)
            doc["last_seq"] = seq
            writes.append(UpdateOne({"_id": key}, {"$set": {k: v for k, v in doc.items() if k != "_id"}},
                                    upsert=True))
        await self._bulk(self.counts, writes)
        every = docs.get(every_key, {}).get("products", {})
        tops = [UpdateOne({"_id": key}, {"$set": {"orders": int(every.get(key[2:], 0)),
                                                  "items": _top(docs[key].get("pairs", {}))}}, upsert=True)
                for key in products]
        tops += [UpdateOne({"_id": key}, {"$set": {"orders": int(docs[key].get("orders", 0)),
                                                   "items": _top(docs[key].get("products", {}))}}, upsert=True)
                 for key in by_channel]
        await self._bulk(self.top, tops)
        self._tops.clear()
        records = await self._records({_record_id(o) for o, _, _ in changed})
        for order_id, _, after in changed:
            records.setdefault(_record_id(order_id), {})[str(order_id)] = _basket_doc(after)
        await self._bulk(self.orders, [UpdateOne({"_id": r}, {"$set": {"orders": orders}}, upsert=True)
                                       for r, orders in records.items()])

    async def _read(self, collection: Any, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        docs = await asyncio.gather(*(call(collection.find_one({"_id": k}), WHAT) for k in keys))
        return {d["_id"]: d for d in docs if d}

    @staticmethod
    async def _bulk(collection: Any, operations: list[UpdateOne]) -> None:
        if operations:
            await call(collection.bulk_write(operations, ordered=False), WHAT)

    async def _read_tops(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The top lists of `keys` (an empty one when none is kept), those read lately from memory."""
        now, fresh = self.clock(), timedelta(seconds=TOP_CACHE_SECONDS)
        found = {k: hit[1] for k in keys if (hit := self._tops.get(k)) and now - hit[0] < fresh}
        missing = [k for k in keys if k not in found]
        if missing:
            if len(self._tops) + len(missing) > MAX_TOPS_CACHED:
                self._tops.clear()
            read = await self._read(self.top, missing)
            for key in missing:
                found[key] = read.get(key, {})
                self._tops[key] = (now, found[key])
        return found

    async def bought_with(self, product_ids: Collection[int], limit: int) -> dict[int, BoughtWith]:
        found = await self._read_tops({f"p:{p}" for p in product_ids})
        return {p: BoughtWith(int(doc.get("orders", 0)), tuple(Neighbour(b, n) for b, n in doc.get("items", ())[:limit]))
                for p in product_ids for doc in [found.get(f"p:{p}", {})]}

    async def popular(self, channel: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        top = (await self._read_tops([f"c:{channel}"]))[f"c:{channel}"]
        return int(top.get("orders", 0)), [(p, n) for p, n in top.get("items", ())[:limit]]

    async def bought(self, customer_id: str) -> list[int]:
        doc = await call(self.counts.find_one({"_id": f"u:{customer_id}"}), WHAT) or {}
        bought = {k: v for k, v in doc.get("products", {}).items() if v[0] > 0}
        return [int(k) for k, _ in sorted(bought.items(), key=lambda e: (-e[1][1], int(e[0])))]


def _added(counts: dict[str, int], delta: dict[str, int]) -> dict[str, int]:
    """The counts with the delta; those come to nothing dropped."""
    merged = dict(counts)
    for key, n in delta.items():
        merged[key] = merged.get(key, 0) + n
        if merged[key] <= 0:
            del merged[key]
    return merged


def _bought(products: dict[str, list[int]], delta: dict[str, int], seq: int) -> dict[str, list[int]]:
    """A customer's products ([count, the fold that last added one]) with the delta, the most recent kept."""
    merged = {k: list(v) for k, v in products.items()}
    for key, n in delta.items():
        count, last = merged.get(key, [0, 0])
        merged[key] = [count + n, seq if n > 0 else last]
        if merged[key][0] <= 0:
            del merged[key]
    recent = sorted(merged.items(), key=lambda e: -e[1][1])[:MAX_KEPT_PER_CUSTOMER]
    return dict(recent)
