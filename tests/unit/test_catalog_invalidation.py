"""Invalidation from the change feeds, the parts that need no backend: where a poll reads on from,
and a follower applying every published change once, late publications included."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from domain.records import CatalogInvalidation, ChangeAspect, ChangeMark, LoggedInvalidation
from resolvers import cursors
from resolvers.catalog_changes import Feed
from resolvers.catalog_invalidation import Follower, _resumed

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
