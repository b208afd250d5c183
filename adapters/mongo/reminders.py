"""The reminder worker's state in MongoDB: its lease and cursor (in `sweeps`, as other background
jobs keep theirs), each customer's baseline per saved SKU (`reminder_states`, by key), and the
customers' alert preferences (`alert_preferences`, by customer id)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne

from adapters.mongo import leases
from adapters.mongo.client import call
from domain.errors import MalformedPayload
from domain.reminders import AlertKind, AlertPreferences, Delivery, ReminderCursor, WatchState

WHAT = "reminder state"
JOB = "reminders"


class MongoReminderState:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        self.sweeps = client[database]["sweeps"]
        self.states_ = client[database]["reminder_states"]
        self.preferences_ = client[database]["alert_preferences"]

    async def prepare(self) -> None:
        """Nothing to index: both collections are read by `_id`."""

    async def claim(self, now: datetime, every: timedelta) -> bool:
        return await leases.claim(self.sweeps, JOB, now, every, WHAT)

    async def cursor(self) -> ReminderCursor:
        doc = await call(self.sweeps.find_one({"_id": JOB}, {"cursor": 1}), WHAT)
        raw = (doc or {}).get("cursor") or {}
        carts = raw.get("carts_after")
        return ReminderCursor(log_read_up_to=raw.get("log_read_up_to"), log_seen=dict(raw.get("log_seen") or {}),
                              carts_after=(carts[0], carts[1]) if carts else None)

    async def save_cursor(self, cursor: ReminderCursor) -> None:
        doc = {"log_read_up_to": cursor.log_read_up_to, "log_seen": cursor.log_seen,
               "carts_after": list(cursor.carts_after) if cursor.carts_after else None}
        await call(self.sweeps.update_one({"_id": JOB}, {"$set": {"cursor": doc}}, upsert=True), WHAT)

    async def states(self, keys: Collection[str]) -> dict[str, WatchState]:
        found = await call(self.states_.find({"_id": {"$in": list(keys)}}).to_list(), WHAT)
        return {doc["_id"]: _state(doc) for doc in found}

    async def keep(self, states: Sequence[WatchState]) -> None:
        if not states:
            return
        writes = [UpdateOne({"_id": s.key}, {"$set": {
            "customer_id": s.customer_id, "sku": s.sku, "stock": s.stock,
            "price": None if s.price is None else str(s.price), "currency": s.currency, "version": s.version}},
            upsert=True) for s in states]
        await call(self.states_.bulk_write(writes, ordered=False), WHAT)

    async def preferences(self, customer_ids: Collection[str]) -> dict[str, AlertPreferences]:
        found = await call(self.preferences_.find({"_id": {"$in": list(customer_ids)}}).to_list(), WHAT)
        return {doc["_id"]: _preferences(doc) for doc in found}

    async def set_preferences(self, preferences: AlertPreferences) -> None:
        await call(self.preferences_.replace_one({"_id": preferences.customer_id}, {
            "deliveries": sorted(preferences.deliveries), "kinds": sorted(preferences.kinds),
            "email": preferences.email, "updated_at": preferences.updated_at}, upsert=True), WHAT)


def _state(doc: dict[str, Any]) -> WatchState:
    try:
        price = doc.get("price")
        return WatchState(doc["customer_id"], doc["sku"], doc.get("stock"),
                          None if price is None else Decimal(price), doc.get("currency"), int(doc["version"]))
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise MalformedPayload("mongodb", f"reminder state {doc.get('_id')!r} is incomplete ({exc})") from exc


def _preferences(doc: dict[str, Any]) -> AlertPreferences:
    try:
        return AlertPreferences(doc["_id"], frozenset(Delivery(d) for d in doc["deliveries"]),
                                frozenset(AlertKind(k) for k in doc["kinds"]), doc.get("email"),
                                doc.get("updated_at"))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"alert preferences of {doc.get('_id')!r} are incomplete ({exc})") from exc
