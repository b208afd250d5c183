"""Reading a backend's change list page by page, oldest first, for the dialects whose filter is
coarser than the feed's mark (to the second, or from the mark's own instant on)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from domain.records import PAST_EVERY_KEY, ChangeMark, RecordChange

log = logging.getLogger(__name__)
NextPage = Callable[[int], Awaitable[tuple[list[RecordChange], bool]]]  # page number -> (changes, more pages)
MAX_PAGES = 20  # pages one read may take (catalog.changes_max_pages)


async def oldest_changes(next_page: NextPage, after: ChangeMark | None, until: datetime,
                         limit: int, max_pages: int = MAX_PAGES) -> list[RecordChange]:
    """The first `limit` changes after `after` and at or before `until`, ordered by (time, key).

    Pages stop once one reaches past the limit-th change's instant: every change of that instant has
    been seen, so a page boundary inside it cannot skip one with a smaller key.

    At most `max_pages` pages are read, whatever the mark (a cursor is the client's to make). When
    the bound cuts an instant short, the changes of the instants before it are complete and are
    returned; when there are none (the whole bound lies in one instant, a burst), that instant is
    passed over: what was read of it is returned, then a change of no record that moves the mark
    past it, and the changes the bound left unread are not reported (logged as a warning)."""
    found: list[RecordChange] = []
    page, more, last_read = 1, True, until
    while more:
        if page > max_pages:
            return _cut_short(found, limit, frontier=last_read, after=after)
        changes, more = await next_page(page)
        found += [c for c in changes if c.after(after) and c.at <= until]
        found.sort(key=lambda c: (c.at, c.order))
        page += 1
        if not changes or changes[-1].at > until:
            break  # the rest is later than asked
        last_read = changes[-1].at
        if len(found) >= limit and changes[-1].at > found[limit - 1].at:
            break
    return found[:limit]


def _cut_short(found: list[RecordChange], limit: int, frontier: datetime,
               after: ChangeMark | None) -> list[RecordChange]:
    """What a read the bound stopped at `frontier` (the instant its last page ended in) returns."""
    complete = [c for c in found if c.at < frontier]
    if complete:
        return complete[:limit]
    if len(found) >= limit:
        return found[:limit]
    log.warning("a burst of changes in one instant is longer than the pages a read may take; the rest of "
                "that instant is passed over", extra={"instant": frontier.isoformat(), "read": len(found),
                                                      "after": after.at.isoformat() if after else None})
    return [*found, RecordChange(frontier, PAST_EVERY_KEY)]
