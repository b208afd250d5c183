"""Invalidation from the change feeds, the parts that need no backend: where a poll reads on from,
a first poll keeping its place, and a follower applying every published change once, late
publications included."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from domain.records import CatalogInvalidation, ChangeAspect, ChangeMark, LoggedInvalidation, RecordChange
from resolvers import cursors
from resolvers.catalog_changes import CONTENT_AND_PRICE, Feed
from resolvers.catalog_invalidation import Follower, _resumed, poll
from tests.unit.fakes import World, product

T0 = datetime(2026, 11, 23, 12, 0, 30, 250_000, tzinfo=UTC)


def feed(name: str) -> Feed:
    return Feed(name, frozenset({ChangeAspect.CONTENT}), read=None)  # type: ignore[arg-type]


def test_feeds_not_read_before_start_now_and_the_others_go_on_where_they_were():
    kept = ChangeMark(T0 - timedelta(minutes=5), 42)
    marks = cursors.decode_marks(_resumed(cursors.encode_marks({"odoo.products": kept}),
                                          [feed("odoo.products"), feed("woocommerce")], T0))
    # a new feed starts just before the start's whole second, not at the beginning of its history
    assert marks == {"odoo.products": kept,
                     "woocommerce": ChangeMark(datetime(2026, 11, 23, 12, 0, 29, 999_999, tzinfo=UTC), 0)}
    assert cursors.decode_marks(_resumed("garbage", [feed("woocommerce")], T0)) == {
        "woocommerce": marks["woocommerce"]}


class Log:
    def __init__(self) -> None:
        self.published: list[LoggedInvalidation] = []

    def publish(self, at: datetime, product_id: int) -> None:
        change = CatalogInvalidation(products=((product_id, frozenset({ChangeAspect.PRICE})),))
        self.published.append(LoggedInvalidation(str(len(self.published)), at, change))

    async def since(self, after: datetime, seen: Collection[str]) -> list[LoggedInvalidation]:
        return sorted((p for p in self.published if p.at > after and p.id not in seen), key=lambda p: p.at)


async def test_a_follower_applies_each_change_once_even_one_published_late():
    log, applied = Log(), []
    follower = Follower(log, lambda change: applied.append(change.products[0][0]), clock=lambda: T0)
    log.publish(T0 + timedelta(seconds=1), 1)
    log.publish(T0 + timedelta(seconds=3), 3)
    assert await follower.follow() == 2
    # a publication stamped before the last one read, landing after it (another poller, a slow write)
    log.publish(T0 + timedelta(seconds=2), 2)
    assert await follower.follow() == 1
    assert await follower.follow() == 0
    assert applied == [1, 3, 2]


async def test_a_new_process_does_not_apply_what_was_published_long_before_it_started():
    log, applied = Log(), []
    log.publish(T0 - timedelta(minutes=5), 1)
    follower = Follower(log, lambda change: applied.append(change), clock=lambda: T0)
    assert await follower.follow() == 0 and applied == []


class PollLog:
    """The invalidation log as one process sees it: always its turn to poll."""

    def __init__(self) -> None:
        self.stored: str | None = None
        self.published: list[CatalogInvalidation | None] = []

    async def claim_poll(self, now: datetime, every: timedelta) -> bool:
        return True

    async def cursor(self) -> str | None:
        return self.stored

    async def publish(self, change: CatalogInvalidation | None, cursor: str, at: datetime) -> None:
        self.published.append(change)
        self.stored = cursor

    async def prune(self, before: datetime) -> None:
        pass


async def changes_of(changes: list[RecordChange], *args: Any) -> list[RecordChange]:
    """A change feed over `changes` (the arguments: those of a feed, a pricelist or locations first)."""
    after, until, limit = args[-3:]
    return [c for c in changes if c.at <= until
            and (after is None or (c.at, str(c.key)) > (after.at, str(after.key)))][:limit]


async def test_the_first_poll_keeps_its_place_though_it_found_nothing():
    # given an ERP whose product 1 changes between two polls, in a second the second poll's
    # own start (the whole second of its settled time) has left behind
    world, log = World(), PollLog()
    world.erp.products = [product(erp_id=1, sku="P-1")]
    template_changes: list[RecordChange] = []
    world.erp.product_changes = partial(changes_of, template_changes)
    for quiet in ("variant_changes", "price_list_changes", "stock_changes"):
        setattr(world.erp, quiet, partial(changes_of, []))
    world.content.content_changes = world.app.content_changes = partial(changes_of, [])
    services = world.context().services
    settle = timedelta(seconds=services.rules.changes_settle_seconds)
    t = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    now = [t + settle + timedelta(seconds=0.3)]
    services.clock = lambda: now[0]
    # when the first poll finds nothing, the product changes, and the next poll comes
    assert await poll(services, log, 1) == 0
    template_changes.append(RecordChange(at=t + timedelta(seconds=0.8), key=1, product_erp_id=1))
    now[0] = t + settle + timedelta(seconds=1.1)
    # then the second poll reads on from where the first began, and finds the change
    assert await poll(services, log, 1) == 1
    assert log.published[-1] == CatalogInvalidation(products=((1, CONTENT_AND_PRICE),), assortment=True)
