"""The reminder worker: one gateway process at a time (whichever claims the interval's lease) follows
the catalog's invalidation log from its own stored position, decides the alerts of the SKUs that
changed in stock or price for the customers who saved them, reminds untouched carts, and delivers
the outbox. A pass that fails leaves its position where it was: the next pass decides again, and
the event ids keep what was decided before from being stored twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.ports import InvalidationLog, SavedListStore
from domain.records import ChangeAspect, LoggedInvalidation
from domain.reminders import ReminderCursor
from resolvers.background import forever
from resolvers.catalog_invalidation import LOOKBACK
from resolvers.context import RequestContext, Services
from resolvers.eager import load_all
from resolvers.reminders.delivery import Delivered, deliver_due
from resolvers.reminders.evaluation import PAGE, evaluate_carts, evaluate_skus
from resolvers.reminders.services import ReminderServices

log = logging.getLogger(__name__)
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
MAX_LOG_READS = 10  # reads of the log per pass; the rest waits for the next pass
MAX_CART_PAGES = 10
FIRST_CART_WINDOW = timedelta(days=1)  # a first pass reminds the carts left this long before, not every one ever
SKUS_AT_ONCE = 200  # changed SKUs whose watchers are paged through together


@dataclass(slots=True)
class PassReport:
    changes: int = 0
    skus: int = 0
    decided: int = 0
    carts: int = 0
    delivered: Delivered = field(default_factory=Delivered)


class ReminderWorker:
    def __init__(self, services: Services, reminders: ReminderServices, changes_log: InvalidationLog,
                 lists: SavedListStore | None, every_seconds: float) -> None:
        self.services = services
        self.reminders = reminders
        self.log = changes_log
        self.lists = lists  # None: no saved lists in this deployment, only carts are reminded
        self.every_seconds = every_seconds

    async def run_pass(self) -> PassReport | None:
        """One pass, when no process has run one within the interval; None when another holds the lease."""
        now = self.services.clock()
        state = self.reminders.state
        if not await state.claim(now, timedelta(seconds=self.every_seconds)):
            return None
        report = PassReport()
        cursor = await state.cursor()
        cursor = await self._follow_log(cursor, now, report)
        cursor = await self._carts(cursor, now, report)
        await state.save_cursor(cursor)
        report.delivered = await deliver_due(self.reminders, now)
        return report

    async def _follow_log(self, cursor: ReminderCursor, now: datetime, report: PassReport) -> ReminderCursor:
        read_up_to, seen = cursor.log_read_up_to, dict(cursor.log_seen)
        for _ in range(MAX_LOG_READS):
            found = await self.log.since((read_up_to - LOOKBACK) if read_up_to else BEGINNING, seen)
            if not found:
                break
            skus = await self._changed_skus(found)
            if skus and self.lists is not None:
                for start in range(0, len(skus), SKUS_AT_ONCE):
                    report.decided += await evaluate_skus(self.services, self.reminders, self.lists,
                                                          skus[start:start + SKUS_AT_ONCE], now)
            report.changes, report.skus = report.changes + len(found), report.skus + len(skus)
            for logged in found:
                seen[logged.id] = logged.at
                read_up_to = max(read_up_to or logged.at, logged.at)
        if read_up_to is not None:
            seen = {i: at for i, at in seen.items() if at > read_up_to - LOOKBACK}
        return ReminderCursor(read_up_to, seen, cursor.carts_after)

    async def _changed_skus(self, found: list[LoggedInvalidation]) -> list[str]:
        """The SKUs whose stock or price changed: the stock changes name their variants; a price change
        names its product, whose variants are looked up."""
        skus: dict[str, None] = {}
        priced: dict[int, None] = {}
        for logged in found:
            change = logged.change
            if change.every_product:
                log.warning("reminders: a change of every product (%s) is not evaluated per saved item",
                            ", ".join(sorted(change.every_product)))
            skus.update(dict.fromkeys(change.variant_skus))
            priced.update(dict.fromkeys(p for p, aspects in change.products if ChangeAspect.PRICE in aspects))
        if priced:
            ctx = RequestContext(services=self.services, request_id="reminders",
                                 channel=self.services.rules.default_channel)
            for group in await load_all(ctx.loaders.variants_by_product_id, list(priced)):
                skus.update(dict.fromkeys(v.sku for v in group))
        return list(skus)

    async def _carts(self, cursor: ReminderCursor, now: datetime, report: PassReport) -> ReminderCursor:
        carts = self.services.carts
        if carts is None:
            return cursor
        before = now - self.reminders.rules.cart_after
        after = cursor.carts_after or (before - FIRST_CART_WINDOW, "")
        for _ in range(MAX_CART_PAGES):
            page = await carts.untouched(after, before, PAGE)
            if page:
                report.decided += await evaluate_carts(self.services, self.reminders, page, now)
                report.carts += len(page)
                after = (page[-1].updated_at, page[-1].cart_id)
            if len(page) < PAGE:
                break
        return ReminderCursor(cursor.log_read_up_to, cursor.log_seen, after)


async def run_forever(worker: ReminderWorker) -> None:
    await forever(worker.run_pass, worker.every_seconds, "reminders: a pass")
