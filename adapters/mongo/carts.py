"""Carts in MongoDB: one document per cart, every change a version-checked replace (carrying, for
an idempotent request, its idempotency record in `applied`: one atomic write).

Indexes: a customer's active cart is unique (partial index on ACTIVE carts with a
customer), and guest carts carry `expires_at`, which a TTL index acts on; active customers' carts
by `updated_at` serve the abandoned-cart reminders.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from adapters.mongo.client import NAME, call
from adapters.mongo.events import announce
from domain.carts import AppliedChange, Cart, CartLine, CartStatus, CartWarning
from domain.errors import BackendUnavailable, CartConflict
from domain.ports import EventLog
from domain.records import Attribute, LiveEventKind

COLLECTION = "carts"


def _attributes(raw: list[dict[str, str]] | None) -> tuple[Attribute, ...]:
    return tuple(Attribute(a["key"], a["value"]) for a in raw or ())


def _attributes_doc(attributes: tuple[Attribute, ...]) -> list[dict[str, str]]:
    return [{"key": a.key, "value": a.value} for a in attributes]


def to_document(cart: Cart) -> dict[str, Any]:
    return {
        "_id": cart.cart_id, "version": cart.version, "channel": cart.channel, "status": cart.status.value,
        "created_at": cart.created_at, "updated_at": cart.updated_at, "customer_id": cart.customer_id,
        "lines": [{"id": line.line_id, "sku": line.sku, "quantity": line.quantity,
                   "added_price": str(line.added_price), "added_currency": line.added_currency,
                   "attributes": _attributes_doc(line.attributes)} for line in cart.lines],
        "note": cart.note, "attributes": _attributes_doc(cart.attributes),
        "discount_codes": list(cart.discount_codes), "next_line_number": cart.next_line_number,
        "merged_into": cart.merged_into, "expires_at": cart.expires_at,
        "checkout_started_at": cart.checkout_started_at,
        "applied": [{"key": a.key, "fingerprint": a.fingerprint, "at": a.at, "warnings": warnings_document(a.warnings)}
                    for a in cart.applied],
        "absorbed": list(cart.absorbed),
    }


def warnings_document(warnings: tuple[CartWarning, ...]) -> list[dict[str, Any]]:
    return [{"code": w.code, "message": w.message, "line_id": w.line_id} for w in warnings]


def warnings_from(raw: list[dict[str, Any]] | None) -> tuple[CartWarning, ...]:
    return tuple(CartWarning(w["code"], w["message"], w.get("line_id")) for w in raw or ())


def from_document(doc: dict[str, Any]) -> Cart:
    return Cart(
        cart_id=doc["_id"], version=doc["version"], channel=doc["channel"], status=CartStatus(doc["status"]),
        created_at=doc["created_at"], updated_at=doc["updated_at"], customer_id=doc.get("customer_id"),
        lines=tuple(CartLine(line_id=line["id"], sku=line["sku"], quantity=line["quantity"],
                             added_price=Decimal(line["added_price"]), added_currency=line["added_currency"],
                             attributes=_attributes(line.get("attributes"))) for line in doc.get("lines", ())),
        note=doc.get("note"), attributes=_attributes(doc.get("attributes")),
        discount_codes=tuple(doc.get("discount_codes", ())), next_line_number=doc.get("next_line_number", 1),
        merged_into=doc.get("merged_into"), expires_at=doc.get("expires_at"),
        checkout_started_at=doc.get("checkout_started_at"),
        applied=tuple(AppliedChange(a["key"], a["fingerprint"], a["at"], warnings_from(a.get("warnings")))
                      for a in doc.get("applied", ())),
        absorbed=tuple(doc.get("absorbed", ())),
    )


class MongoCartStore:
    """`events`: where each cart write is announced (a CART event with the cart's id and version), for
    the `cartUpdated` subscribers of every gateway process; None: not announced."""

    def __init__(self, client: AsyncMongoClient, database: str, events: EventLog | None = None) -> None:
        self.carts = client[database][COLLECTION]
        self.events = events

    async def prepare(self) -> None:
        try:
            await self.carts.create_index(
                "customer_id", name="active_cart_per_customer", unique=True,
                partialFilterExpression={"status": CartStatus.ACTIVE.value, "customer_id": {"$type": "string"}})
            await self.carts.create_index("expires_at", name="guest_cart_expiry", expireAfterSeconds=0)
            await self.carts.create_index(
                [("updated_at", 1), ("_id", 1)], name="untouched_customer_carts",
                partialFilterExpression={"status": CartStatus.ACTIVE.value, "customer_id": {"$type": "string"}})
        except PyMongoError as exc:
            raise BackendUnavailable(NAME, f"cannot create cart indexes ({exc})") from exc

    async def get(self, cart_id: str) -> Cart | None:
        doc = await self._call(self.carts.find_one({"_id": cart_id}))
        return from_document(doc) if doc else None

    async def active_for_customer(self, customer_id: str) -> Cart | None:
        doc = await self._call(self.carts.find_one({"customer_id": customer_id, "status": CartStatus.ACTIVE.value}))
        return from_document(doc) if doc else None

    async def untouched(self, after: tuple[datetime, str] | None, before: datetime, limit: int) -> list[Cart]:
        query: dict[str, Any] = {"status": CartStatus.ACTIVE.value, "customer_id": {"$type": "string"},
                                 "lines.0": {"$exists": True}, "checkout_started_at": None,
                                 "updated_at": {"$lte": before}}
        if after is not None:
            at, cart_id = after
            query["$or"] = [{"updated_at": {"$gt": at}}, {"updated_at": at, "_id": {"$gt": cart_id}}]
        found = self.carts.find(query).sort([("updated_at", 1), ("_id", 1)]).limit(limit)
        return [from_document(doc) for doc in await self._call(found.to_list())]

    async def insert(self, cart: Cart) -> None:
        await self._call(self.carts.insert_one(to_document(cart)))
        await self._announce(cart)

    async def replace(self, cart: Cart) -> bool:
        result = await self._call(self.carts.replace_one({"_id": cart.cart_id, "version": cart.version - 1},
                                                         to_document(cart)))
        if result.matched_count == 1:
            await self._announce(cart)
        return result.matched_count == 1

    async def _announce(self, cart: Cart) -> None:
        """After the write: a failed announcement costs the subscribers this change, never the write
        (the next write announces the cart again, with everything before it)."""
        await announce(self.events, [(LiveEventKind.CART, cart.cart_id, cart.version)], cart.updated_at,
                       f"cart {cart.cart_id}")

    @staticmethod
    async def _call(operation: Awaitable[Any]) -> Any:
        return await call(operation, "cart store", on_duplicate=CartConflict("the customer already has an active cart"))
