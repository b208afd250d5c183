"""Reading a backend's change list page by page, oldest first, for the dialects whose filter is
coarser than the feed's mark (to the second, or from the mark's own instant on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from domain.records import ChangeMark, RecordChange

NextPage = Callable[[int], Awaitable[tuple[list[RecordChange], bool]]]  # page number -> (changes, more pages)


async def oldest_changes(next_page: NextPage, after: ChangeMark | None, until: datetime,
                         limit: int) -> list[RecordChange]:
    """The first `limit` changes after `after` and at or before `until`, ordered by (time, key).

    Pages stop once one reaches past the limit-th change's instant: every change of that instant has
    been seen, so a page boundary inside it cannot skip one with a smaller key."""
    found: list[RecordChange] = []
    page, more = 1, True
    while more:
        changes, more = await next_page(page)
        found += [c for c in changes if c.after(after) and c.at <= until]
        found.sort(key=lambda c: (c.at, c.key))
        page += 1
        if len(found) >= limit and changes and changes[-1].at > found[limit - 1].at:
            break
    return found[:limit]
