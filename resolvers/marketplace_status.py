"""What the admin API shows of the marketplace sync."""

from __future__ import annotations

from domain.errors import BadUserInput
from domain.marketplace_sync import OfferSync, SyncSummary
from resolvers.context import RequestContext

MAX_PAGE = 200


async def sync_status(ctx: RequestContext, first: int, after: str | None, errors_only: bool
                      ) -> tuple[SyncSummary, list[OfferSync], bool] | None:
    """The overall figures, a page of SKUs after `after` (a SKU), and whether more follow."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` is 1..{MAX_PAGE}")
    store = ctx.services.marketplace_sync
    if store is None:
        return None
    page = await store.page(after, first + 1, errors_only)
    return await store.summary(), page[:first], len(page) > first
