"""The marketplace order import: every paid marketplace order becomes one confirmed ERP sales order.

One process at a time (a lease, per pass) reads the orders modified since the cursor kept in MongoDB,
less an overlap (the marketplace's modification dates are not exact to the instant a query sees them),
so an order is often read more than once. Exactly once nonetheless:
1. the order is recorded as intended in MongoDB (its content, PENDING) before any ERP call, so an
   import cut short is tried again from that record even when no later read lists the order;
2. before creating, the ERP is searched for a sales order whose `client_order_ref` is the marketplace
   order id (the ERP is the system of record): one found is taken as the import (confirmed if its
   confirmation was cut short), so a crash between the ERP's create and the record makes no second;
3. the record then says IMPORTED with the ERP order's number, and later reads of the order skip it.
An order the ERP cannot take (a SKU it lacks) is FAILED with the reason and tried again with backoff.
An order cancelled (or refunded in full) after its import is flagged (and logged) for the back office,
which decides about the ERP order (it may have shipped); one cancelled before is never imported."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from domain.channels import Channel
from domain.errors import BackendError
from domain.marketplace_sync import ImportState, OrderImport, SyncRules, retry_after
from domain.ports import MarketplaceSyncStore
from domain.records import ErpOrder, MarketplaceOrder, OrderDraft, OrderLine
from resolvers.background import forever
from resolvers.context import Services
from resolvers.marketplace_push import LEASE, SyncEvents

log = logging.getLogger(__name__)
PAGE = 200  # orders a read asks per page (the marketplace's most)
MAX_DUE = 100  # failed or interrupted imports one pass tries again
CENT = Decimal("0.01")


class Unimportable(Exception):
    """The order cannot become an ERP order as it is."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    read: int = 0
    imported: int = 0
    failed: int = 0


class MarketplaceImport:
    def __init__(self, services: Services, store: MarketplaceSyncStore, rules: SyncRules, every_seconds: float,
                 events: SyncEvents | None = None) -> None:
        self.services = services
        self.store = store
        self.rules = rules
        self.every = timedelta(seconds=every_seconds)
        self.events = events

    async def run_pass(self) -> ImportReport | None:
        """One pass; None when another process holds the lease."""
        started = self.services.clock()
        if not await self.store.claim("import", started, LEASE):
            return None
        try:
            # the first pass reads back as far as configured: orders paid before the import was turned on
            cursor = await self.store.import_cursor() or started - self.rules.first_import_lookback
            # open-ended: the marketplace refuses an end after its own now, and its clock may be behind ours
            orders = await self.services.backends.marketplace.orders_modified(
                cursor - self.rules.order_overlap, None, PAGE)
            imported = failed = 0
            for order in sorted(orders, key=lambda o: o.modified_at):
                outcome = await self.take(order)
                imported, failed = imported + (outcome is True), failed + (outcome is False)
            for record in await self.store.due_orders(started, MAX_DUE):
                outcome = await self.attempt(record.order, record)
                imported, failed = imported + outcome, failed + (not outcome)
            await self.store.save_import_cursor(started)
            return ImportReport(len(orders), imported, failed)
        finally:
            await self.store.release("import", started + self.every)

    async def take(self, order: MarketplaceOrder) -> bool | None:
        """The order as read: imported (True), failed (False) or left alone (None)."""
        record = await self.store.order(order.order_id)
        if record is not None and record.state is ImportState.IMPORTED:
            if order.cancelled and not record.cancelled_after_import:
                log.warning("a marketplace order was cancelled after its import; the ERP order stands",
                            extra={"order": order.order_id, "erp_order": record.erp_order})
                await self.store.put_order(replace(record, order=order, cancelled_after_import=True))
            return None
        if record is not None and record.retry_at is not None and record.retry_at > self.services.clock():
            return None  # a failed or interrupted import waits out its backoff
        if not order.paid:
            return None  # not paid yet (its payment modifies it: read again then), or cancelled before import
        return await self.attempt(order, record)

    async def attempt(self, order: MarketplaceOrder, record: OrderImport | None) -> bool:
        now = self.services.clock()
        attempts = record.attempts if record is not None else 0
        # the intent first: a crash from here on is tried again from this record
        intended = OrderImport(order, ImportState.PENDING, intended_at=record.intended_at if record else now,
                               attempts=attempts, retry_at=now + retry_after(attempts + 1, self.rules))
        await self.store.put_order(intended)
        try:
            erp_order = await self._erp_order(order)
        except (BackendError, Unimportable) as exc:
            reason = exc.detail if isinstance(exc, BackendError) else str(exc)
            log.warning("a marketplace order could not be imported", extra={"order": order.order_id,
                                                                            "error": reason})
            await self.store.put_order(replace(intended, state=ImportState.FAILED, error=reason,
                                               attempts=attempts + 1))
            self._report("failed")
            return False
        await self.store.put_order(replace(intended, state=ImportState.IMPORTED, erp_order=erp_order.number,
                                           imported_at=self.services.clock(), error=None, retry_at=None),
                                   newly_imported=True)
        self._report("imported")
        return True

    async def _erp_order(self, order: MarketplaceOrder) -> ErpOrder:
        erp = self.services.backends.erp
        existing = await erp.order_by_reference(order.order_id)
        if existing is not None:
            return await erp.confirm_order(existing)
        return await erp.create_order(await self.draft(order))

    async def draft(self, order: MarketplaceOrder) -> OrderDraft:
        """The ERP order of a marketplace order: its lines by SKU at the marketplace's prices."""
        marketplace = self.services.backends.marketplace.name
        variants = {v.sku: v for v in await self.services.backends.erp.variants_by_sku(
            sorted({line.sku for line in order.lines}))}
        missing = sorted({line.sku for line in order.lines} - set(variants))
        if missing:
            raise Unimportable(f"the ERP has no product with SKU {', '.join(missing)}")
        lines = tuple(OrderLine(variants[line.sku].erp_id, line.sku, line.quantity,
                                (line.cost.amount / line.quantity).quantize(CENT)) for line in order.lines)
        buyer = order.buyer or "unknown buyer"
        return OrderDraft(
            reference=order.order_id, channel=Channel.MARKETPLACE.value,
            # without a configured contact, one per buyer, found again by its reference
            customer_id=None if self.rules.erp_partner_id else f"{marketplace}:{buyer}", email="", name=buyer,
            address=None, warehouse_code=self.rules.order_warehouse, lines=lines,
            note=f"{marketplace} order {order.order_id} by {buyer}", payment_reference=f"{marketplace} {order.order_id}",
            partner_erp_id=self.rules.erp_partner_id)

    def _report(self, outcome: str) -> None:
        if self.events is not None:
            self.events.marketplace_order_imported(outcome)


async def import_forever(importer: MarketplaceImport, every_seconds: float) -> None:
    await forever(importer.run_pass, every_seconds, "marketplace order import")
