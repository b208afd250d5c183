"""The marketplace sync's state in MongoDB:
- `marketplace_offers`: one document per SKU (`_id` = the SKU): its offer, what was last pushed and
  accepted, when, the lag, the last refusal and the retry;
- `marketplace_orders`: one document per marketplace order (`_id` = its order id): the order as read,
  the import's state, the ERP order's number;
- `marketplace_sync`: `push` (the event log position, last pass, last reconciliation) and `import`
  (the cursor, orders imported);
- `leases`: one process at a time pushes, one imports.
Hot reads are `_id` reads; the retry and failure queries are served by indexes (`retry_at`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, ReplaceOne

from adapters.mongo import leases
from adapters.mongo.client import call
from domain.errors import MalformedPayload
from domain.marketplace_sync import ImportState, OfferSync, OrderImport, SyncSummary
from domain.records import MarketplaceOrder, MarketplaceOrderLine, Money

WHAT = "marketplace sync store"
MAX_IN = 200  # SKUs read by `$in`; more are read with every other state and picked out


def _utc(at: datetime | None) -> datetime | None:
    """MongoDB gives datetimes back naive (UTC)."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _money_doc(money: Money | None) -> dict | None:
    return {"amount": str(money.amount), "currency": money.currency} if money else None


def _money(doc: dict | None) -> Money | None:
    return Money(Decimal(doc["amount"]), doc["currency"]) if doc else None


def _offer_doc(state: OfferSync) -> dict[str, Any]:
    return {"_id": state.sku, "offer_id": state.offer_id, "quantity": state.quantity,
            "price": _money_doc(state.price), "pushed_at": state.pushed_at, "lag_seconds": state.lag_seconds,
            "error_id": state.error_id, "error": state.error, "attempts": state.attempts, "event_at": state.event_at,
            **_due(state.retry_at)}


def _due(retry_at: datetime | None) -> dict[str, Any]:
    """`retry_at` only when there is one: the retry queries and their sparse index see only those."""
    return {"retry_at": retry_at} if retry_at is not None else {}


def _offer(doc: dict) -> OfferSync:
    return OfferSync(sku=doc["_id"], offer_id=doc.get("offer_id"), quantity=doc.get("quantity"),
                     price=_money(doc.get("price")), pushed_at=_utc(doc.get("pushed_at")),
                     lag_seconds=doc.get("lag_seconds"), error_id=doc.get("error_id"), error=doc.get("error"),
                     attempts=int(doc.get("attempts") or 0), retry_at=_utc(doc.get("retry_at")),
                     event_at=_utc(doc.get("event_at")))


def _order_doc(record: OrderImport) -> dict[str, Any]:
    o = record.order
    return {"_id": o.order_id, "state": record.state.value, "intended_at": record.intended_at,
            "erp_order": record.erp_order, "imported_at": record.imported_at, "error": record.error,
            "attempts": record.attempts, **_due(record.retry_at),
            "cancelled_after_import": record.cancelled_after_import,
            "order": {"created_at": o.created_at, "modified_at": o.modified_at, "fulfillment": o.fulfillment_status,
                      "payment": o.payment_status, "total": _money_doc(o.total), "buyer": o.buyer,
                      "paid": o.paid, "cancelled": o.cancelled,
                      "lines": [{"id": line.line_id, "sku": line.sku, "quantity": line.quantity,
                                 "cost": _money_doc(line.cost)} for line in o.lines]}}


def _order(doc: dict) -> OrderImport:
    try:
        o = doc["order"]
        order = MarketplaceOrder(
            order_id=doc["_id"], created_at=_utc(o["created_at"]), modified_at=_utc(o["modified_at"]),  # type: ignore[arg-type]
            fulfillment_status=o["fulfillment"], payment_status=o["payment"], total=_money(o["total"]),  # type: ignore[arg-type]
            buyer=o.get("buyer"), paid=bool(o.get("paid")), cancelled=bool(o.get("cancelled")), lines=tuple(MarketplaceOrderLine(line["id"], line["sku"], line["quantity"],
                                                                   _money(line["cost"]))  # type: ignore[arg-type]
                                              for line in o["lines"]))
        return OrderImport(order=order, state=ImportState(doc["state"]), intended_at=_utc(doc["intended_at"]),  # type: ignore[arg-type]
                           erp_order=doc.get("erp_order"), imported_at=_utc(doc.get("imported_at")),
                           error=doc.get("error"), attempts=int(doc.get("attempts") or 0),
                           retry_at=_utc(doc.get("retry_at")),
                           cancelled_after_import=bool(doc.get("cancelled_after_import")))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload("mongodb", f"marketplace order {doc.get('_id')} is incomplete ({exc})") from exc


class MongoMarketplaceSync:
    def __init__(self, client: AsyncMongoClient, database: str) -> None:
        db = client[database]
        self.offer_states = db["marketplace_offers"]
        self.orders = db["marketplace_orders"]
        self.state = db["marketplace_sync"]
        self.leases = db["leases"]
        self._held_until: dict[str, datetime] = {}

    async def prepare(self) -> None:
        await call(self.offer_states.create_index([("retry_at", ASCENDING)], sparse=True), WHAT)
        await call(self.orders.create_index([("retry_at", ASCENDING)], sparse=True), WHAT)

    async def claim(self, job: str, now: datetime, every: timedelta) -> bool:
        if not await leases.claim(self.leases, f"marketplace_{job}", now, every, WHAT):
            return False
        self._held_until[job] = now + every
        return True

    async def release(self, job: str, until: datetime) -> None:
        held = self._held_until.pop(job, None)
        if held is not None:
            await leases.release(self.leases, f"marketplace_{job}", held, until, WHAT)

    async def position(self) -> tuple[int | None, datetime | None, str | None]:
        doc = await call(self.state.find_one({"_id": "push"}), WHAT) or {}
        position = doc.get("position")
        return ((int(position) if position is not None else None), _utc(doc.get("last_reconcile_at")),
                doc.get("reconcile_after"))

    async def save_position(self, event_id: int, at: datetime, *, pushed: bool, reconcile_after: str | None,
                            reconciled: bool) -> None:
        fields: dict[str, Any] = {"position": event_id, "last_pass_at": at, "reconcile_after": reconcile_after}
        if pushed:
            fields["last_pushed_at"] = at
        if reconciled:
            fields["last_reconcile_at"] = at
        await call(self.state.update_one({"_id": "push"}, {"$set": fields}, upsert=True), WHAT)

    async def offers(self, skus: Collection[str]) -> dict[str, OfferSync]:
        if not skus:
            return {}
        wanted = set(skus)
        if len(wanted) > MAX_IN:  # a reconciliation's: one read of them all (a long `$in` is a deep query tree)
            found = await call(self.offer_states.find({}).to_list(), WHAT)
        else:
            found = await call(self.offer_states.find({"_id": {"$in": list(wanted)}}).to_list(), WHAT)
        return {doc["_id"]: _offer(doc) for doc in found if doc["_id"] in wanted}

    async def keep(self, states: Sequence[OfferSync]) -> None:
        if states:
            await call(self.offer_states.bulk_write([ReplaceOne({"_id": s.sku}, _offer_doc(s), upsert=True)
                                                for s in states], ordered=False), WHAT)

    async def due(self, now: datetime, limit: int) -> list[str]:
        found = self.offer_states.find({"retry_at": {"$lte": now}}, {"_id": 1}).sort("retry_at", ASCENDING).limit(limit)
        return [doc["_id"] for doc in await call(found.to_list(), WHAT)]

    async def page(self, after: str | None, limit: int, failing_only: bool) -> list[OfferSync]:
        query: dict[str, Any] = {"_id": {"$gt": after}} if after is not None else {}
        if failing_only:
            query["error"] = {"$ne": None}
        else:  # SKUs the ERP announced but the marketplace does not list are kept, not shown
            query["$or"] = [{"offer_id": {"$ne": None}}, {"error": {"$ne": None}}]
        found = self.offer_states.find(query).sort("_id", ASCENDING).limit(limit)
        return [_offer(doc) for doc in await call(found.to_list(), WHAT)]

    async def summary(self) -> SyncSummary:
        push = await call(self.state.find_one({"_id": "push"}), WHAT) or {}
        imports = await call(self.state.find_one({"_id": "import"}), WHAT) or {}
        return SyncSummary(
            last_push_at=_utc(push.get("last_pushed_at")), last_reconcile_at=_utc(push.get("last_reconcile_at")),
            orders_imported=int(imports.get("imported") or 0), import_cursor=_utc(imports.get("cursor")),
            push_failures=await call(self.offer_states.count_documents({"error": {"$ne": None}}), WHAT),
            import_failures=await call(self.orders.count_documents({"state": {"$ne": ImportState.IMPORTED.value}}),
                                       WHAT))

    async def order(self, order_id: str) -> OrderImport | None:
        doc = await call(self.orders.find_one({"_id": order_id}), WHAT)
        return _order(doc) if doc else None

    async def put_order(self, record: OrderImport, newly_imported: bool = False) -> None:
        await call(self.orders.replace_one({"_id": record.order.order_id}, _order_doc(record), upsert=True), WHAT)
        if newly_imported:
            await call(self.state.update_one({"_id": "import"}, {"$inc": {"imported": 1}}, upsert=True), WHAT)

    async def due_orders(self, now: datetime, limit: int) -> list[OrderImport]:
        found = self.orders.find({"retry_at": {"$lte": now}, "state": {"$ne": ImportState.IMPORTED.value}}
                                 ).sort("retry_at", ASCENDING).limit(limit)
        return [_order(doc) for doc in await call(found.to_list(), WHAT)]

    async def import_cursor(self) -> datetime | None:
        doc = await call(self.state.find_one({"_id": "import"}), WHAT)
        return _utc(doc.get("cursor")) if doc else None

    async def save_import_cursor(self, cursor: datetime) -> None:
        await call(self.state.update_one({"_id": "import"}, {"$set": {"cursor": cursor}}, upsert=True), WHAT)
