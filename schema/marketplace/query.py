"""`marketplaceSyncStatus`, for keys with the `keys:admin` scope."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from resolvers.marketplace_status import sync_status
from schema.context import ctx
from schema.marketplace.types import MarketplaceSyncStatus
from schema.scopes import needs


@strawberry.type
class MarketplaceQuery:
    @strawberry.field(description="The marketplace sync: overall figures and a page of SKUs (`errorsOnly`: only "
                                  "those whose last push was refused). Null when the gateway keeps no sync state.",
                      extensions=[needs(Scope.KEYS_ADMIN)])
    async def marketplace_sync_status(self, info: Info, first: int = 50, after: str | None = None,
                                      errors_only: bool = False) -> MarketplaceSyncStatus | None:
        found = await sync_status(ctx(info), first, after, errors_only)
        return MarketplaceSyncStatus.of(*found) if found is not None else None
