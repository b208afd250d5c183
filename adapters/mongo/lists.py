"""Saved lists in MongoDB: one document per list, every change a version-checked replace (carrying,
for an idempotent request, its idempotency record in `applied`), as carts are.

Indexes:
- `saved_item_skus`: the items' SKUs then `_id`, on signed-in customers' active lists only: what
  `watching` reads (an equality on one SKU per index range, merged in `_id` order), never a scan;
- `list_per_slot`: a customer's lists each hold a place (`slot`) of the `max_lists` they may have,
  unique: two concurrent creations cannot both take the last place (the default list holds 0);
- `list_name_per_customer`: a customer's list names are unique (case-folded);
- `lists_of_customer`: `me { lists }` and `skus_saved_by`;
- `guest_list_expiry`: a TTL index on guest lists' `expires_at`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import PyMongoError

from adapters.mongo.client import NAME, call
from domain.carts import AppliedChange
from domain.errors import BackendUnavailable, ListConflict
from domain.lists import ListStatus, PendingMove, SavedItem, SavedList, Watch, name_key

COLLECTION = "saved_lists"
_SIGNED_IN_ACTIVE = {"customer_id": {"$type": "string"}, "status": ListStatus.ACTIVE.value}


def item_document(item: SavedItem) -> dict[str, Any]:
    return {"id": item.item_id, "sku": item.sku, "added_at": item.added_at, "channel": item.channel,
            "price": str(item.price_when_saved) if item.price_when_saved is not None else None,
            "currency": item.currency, "stock": item.stock_when_saved}


def item_from(doc: dict[str, Any]) -> SavedItem:
    price = doc.get("price")
    return SavedItem(item_id=doc["id"], sku=doc["sku"], added_at=doc["added_at"], channel=doc["channel"],
                     price_when_saved=Decimal(price) if price is not None else None, currency=doc.get("currency"),
                     stock_when_saved=doc.get("stock"))


def to_document(saved: SavedList) -> dict[str, Any]:
    move = saved.moving
    return {
        "_id": saved.list_id, "name": saved.name, "version": saved.version, "created_at": saved.created_at,
        "updated_at": saved.updated_at, "customer_id": saved.customer_id, "default": saved.default,
        "status": saved.status.value, "slot": saved.slot,
        # only a customer's lists' names are unique: a guest list has none to collide on
        "name_key": name_key(saved.name) if saved.customer_id is not None and saved.slot is not None else None,
        "items": [item_document(i) for i in saved.items], "next_item_number": saved.next_item_number,
        "merged_into": saved.merged_into, "expires_at": saved.expires_at,
        "applied": [{"key": a.key, "fingerprint": a.fingerprint, "at": a.at} for a in saved.applied],
        "absorbed": list(saved.absorbed),
        "moving": {"move_id": move.move_id, "cart_id": move.cart_id, "item_ids": list(move.item_ids),
                   "at": move.at} if move else None,
    }


def from_document(doc: dict[str, Any]) -> SavedList:
    move = doc.get("moving")
    return SavedList(
        list_id=doc["_id"], name=doc["name"], version=doc["version"], created_at=doc["created_at"],
        updated_at=doc["updated_at"], customer_id=doc.get("customer_id"), default=doc.get("default", False),
        items=tuple(item_from(i) for i in doc.get("items", ())), status=ListStatus(doc.get("status", "ACTIVE")),
        slot=doc.get("slot"), next_item_number=doc.get("next_item_number", 1), merged_into=doc.get("merged_into"),
        expires_at=doc.get("expires_at"),
        applied=tuple(AppliedChange(a["key"], a["fingerprint"], a["at"]) for a in doc.get("applied", ())),
        absorbed=tuple(doc.get("absorbed", ())),
        moving=PendingMove(move["move_id"], move["cart_id"], tuple(move["item_ids"]), move["at"]) if move else None,
    )


class MongoSavedListStore:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.lists = client[database][COLLECTION]

    async def prepare(self) -> None:
        try:
            await self.lists.create_index([("items.sku", ASCENDING), ("_id", ASCENDING)], name="saved_item_skus",
                                          partialFilterExpression=_SIGNED_IN_ACTIVE)
            await self.lists.create_index([("customer_id", ASCENDING), ("slot", ASCENDING)], name="list_per_slot",
                                          unique=True, partialFilterExpression={"slot": {"$type": "int"}})
            await self.lists.create_index([("customer_id", ASCENDING), ("name_key", ASCENDING)],
                                          name="list_name_per_customer", unique=True,
                                          partialFilterExpression={"name_key": {"$type": "string"}})
            await self.lists.create_index([("customer_id", ASCENDING), ("created_at", ASCENDING)],
                                          name="lists_of_customer")
            await self.lists.create_index("expires_at", name="guest_list_expiry", expireAfterSeconds=0)
        except PyMongoError as exc:
            raise BackendUnavailable(NAME, f"cannot create saved-list indexes ({exc})") from exc

    async def get(self, list_id: str) -> SavedList | None:
        doc = await self._call(self.lists.find_one({"_id": list_id}))
        return from_document(doc) if doc else None

    async def of_customer(self, customer_id: str) -> list[SavedList]:
        """The customer's active lists, oldest first."""
        cursor = self.lists.find({"customer_id": customer_id, "status": ListStatus.ACTIVE.value}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)])
        return [from_document(doc) for doc in await self._call(cursor.to_list(None))]

    async def insert(self, saved: SavedList) -> None:
        """Raises ListConflict when the list's id, slot or name (or the default list) is taken."""
        await self._call(self.lists.insert_one(to_document(saved)))

    async def replace(self, saved: SavedList) -> bool:
        result = await self._call(self.lists.replace_one({"_id": saved.list_id, "version": saved.version - 1},
                                                         to_document(saved)))
        return result.matched_count == 1

    async def watching(self, skus: Collection[str], after: str | None, limit: int) -> list[Watch]:
        if not skus or limit < 1:
            return []
        after_list, _, after_item = (after or "").partition("/")
        query: dict[str, Any] = {"items.sku": {"$in": sorted(set(skus))}, **_SIGNED_IN_ACTIVE}
        if after_list:
            query["_id"] = {"$gte": after_list}
        # each list found holds at least one watched item, but the page's first may hold only items before `after`
        cursor = self.lists.find(query, {"customer_id": 1, "items": 1}).sort("_id", ASCENDING).limit(limit + 1)
        wanted = set(skus)
        watches: list[Watch] = []
        for doc in await self._call(cursor.to_list(None)):
            for raw in sorted(doc.get("items", ()), key=lambda i: _item_order(i["id"])):
                if raw["sku"] not in wanted:
                    continue
                if doc["_id"] == after_list and _item_order(raw["id"]) <= _item_order(after_item):
                    continue
                watches.append(Watch(doc["customer_id"], doc["_id"], item_from(raw)))
                if len(watches) == limit:
                    return watches
        return watches

    async def skus_saved_by(self, customer_id: str) -> set[str]:
        cursor = self.lists.find({"customer_id": customer_id, "status": ListStatus.ACTIVE.value}, {"items.sku": 1})
        return {i["sku"] for doc in await self._call(cursor.to_list(None)) for i in doc.get("items", ())}

    @staticmethod
    async def _call(operation: Awaitable[Any]) -> Any:
        return await call(operation, "saved-list store", on_duplicate=ListConflict("the place is taken"))


def _item_order(item_id: str) -> tuple[int, str]:
    """Item ids are numbers counted up per list: in that order (a bad one last, stably)."""
    return (int(item_id), "") if item_id.isdigit() else (1 << 62, item_id)
