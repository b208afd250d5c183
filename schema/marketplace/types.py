"""The marketplace sync's state as the admin API shows it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.marketplace_sync import OfferSync as OfferSyncRecord
from domain.marketplace_sync import SyncSummary
from schema.catalog.types import Money


@strawberry.type(description="One SKU's marketplace offer as the push last left it.")
class MarketplaceOfferSync:
    sku: str
    offer_id: str | None
    quantity: int | None = strawberry.field(description="The quantity the marketplace last accepted.")
    price: Money | None = strawberry.field(description="The price the marketplace last accepted.")
    pushed_at: datetime | None = strawberry.field(description="When the marketplace accepted the last push.")
    lag_seconds: float | None = strawberry.field(
        description="From the stock or price event to that acceptance; null after a reconciliation.")
    error_id: str | None = strawberry.field(description="The marketplace's id of the last refusal; null when the "
                                                        "last push landed.")
    error: str | None = strawberry.field(description="What the marketplace said (or why the call failed).")
    attempts: int = strawberry.field(description="Refused pushes since the last that landed.")
    retry_at: datetime | None = strawberry.field(description="When a refused push is tried again.")

    @classmethod
    def of(cls, state: OfferSyncRecord) -> MarketplaceOfferSync:
        return cls(sku=state.sku, offer_id=state.offer_id, quantity=state.quantity, price=Money.of(state.price),
                   pushed_at=state.pushed_at, lag_seconds=state.lag_seconds, error_id=state.error_id,
                   error=state.error, attempts=state.attempts, retry_at=state.retry_at)


@strawberry.type(description="The marketplace sync both ways: stock and prices pushed to the marketplace's offers, "
                             "its orders imported into the ERP.")
class MarketplaceSyncStatus:
    last_push_at: datetime | None = strawberry.field(description="When a pass last pushed something that landed.")
    last_reconciliation_at: datetime | None = strawberry.field(
        description="When every offer was last compared with what the marketplace holds.")
    orders_imported: int
    import_cursor: datetime | None = strawberry.field(description="Orders modified up to here have been read.")
    push_failures: int = strawberry.field(description="SKUs whose last push the marketplace refused.")
    import_failures: int = strawberry.field(description="Marketplace orders not imported yet (failed or cut short).")
    offers: list[MarketplaceOfferSync] = strawberry.field(description="A page of SKUs, in SKU order.")
    end_cursor: str | None = strawberry.field(description="`after` for the next page; null on the last.")

    @classmethod
    def of(cls, summary: SyncSummary, offers: list[OfferSyncRecord], has_more: bool) -> MarketplaceSyncStatus:
        return cls(last_push_at=summary.last_push_at, last_reconciliation_at=summary.last_reconcile_at,
                   orders_imported=summary.orders_imported, import_cursor=summary.import_cursor,
                   push_failures=summary.push_failures, import_failures=summary.import_failures,
                   offers=[MarketplaceOfferSync.of(o) for o in offers],
                   end_cursor=offers[-1].sku if has_more and offers else None)
