"""Delta-sync types: `catalogChanges` answers with the changed products and the next cursor."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.catalog_changes import ChangePage, ProductChange
from schema.catalog.enums import CatalogChangeAspect
from schema.catalog.types import PageInfo, Product


@strawberry.type(description="A product that changed since the cursor, or left the assortment (`removed`).")
class CatalogChange:
    sku: str
    product: Product | None = strawberry.field(description="As it is now, in the operation's channel; null when "
                                                            "removed.")
    removed: bool = strawberry.field(description="Archived or no longer sold: drop it from the offline catalog.")
    aspects: list[CatalogChangeAspect] = strawberry.field(
        description="What may have changed, by the backend records that did (a product record's change may be "
                    "content or price).")
    changed_at: datetime = strawberry.field(description="When the latest of these changes was written.")
    event_id: strawberry.ID | None = strawberry.field(
        default=None, description="Set by the `productChanged` subscription: its `after:` takes it to resume from there.")

    @classmethod
    def of(cls, change: ProductChange) -> CatalogChange:
        return cls(sku=change.sku, product=Product.of(change.product) if change.product else None,
                   removed=change.removed, aspects=sorted(change.aspects),
                   changed_at=change.changed_at)


@strawberry.type(description="One page of changes, oldest first. Keep `pageInfo.endCursor` and pass it as "
                             "`since` next time; `hasNextPage` says more changes are waiting now.")
class CatalogChangeConnection:
    nodes: list[CatalogChange]
    page_info: PageInfo
    changed_for_every_product: list[CatalogChangeAspect] = strawberry.field(
        description="What may have changed of every product, listed or not: a rule of the channel's pricelist for "
                    "a category or for all products changed (`[PRICE]`). Read it again for the whole offline "
                    "catalog. Mostly empty.")

    @classmethod
    def of(cls, page: ChangePage, since: str | None) -> CatalogChangeConnection:
        return cls(nodes=[CatalogChange.of(c) for c in page.changes],
                   page_info=PageInfo(has_next_page=page.has_more, has_previous_page=since is not None,
                                      start_cursor=since, end_cursor=page.cursor),
                   changed_for_every_product=sorted(page.every_product))
