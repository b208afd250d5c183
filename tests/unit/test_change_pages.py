"""Reading change lists whose filter is coarser than the feed's mark: a page boundary inside one
instant neither loses nor repeats a change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.change_pages import oldest_changes
from domain.records import ChangeMark, RecordChange

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def pages_of(changes: list[RecordChange], size: int):
    """A backend that sorts by time only (keys in any order within one instant), `size` a page."""
    async def next_page(page: int) -> tuple[list[RecordChange], bool]:
        return changes[(page - 1) * size: page * size], page * size < len(changes)
    return next_page


def test_a_page_boundary_inside_one_second_loses_no_change():
    # given five changes in one second, listed with keys out of order, two a page
    same_second = [RecordChange(T0, key) for key in (5, 1, 4, 2, 3)]
    later = [RecordChange(T0 + timedelta(seconds=1), 9)]
    backend = pages_of(same_second + later, 2)
    # when a feed takes three at a time
    first = asyncio.run(oldest_changes(backend, None, T0 + timedelta(hours=1), 3))
    second = asyncio.run(oldest_changes(backend, first[-1].mark, T0 + timedelta(hours=1), 3))
    # then it reads the whole second before cutting, and the next page goes on from the cut
    assert [c.key for c in first] == [1, 2, 3]
    assert [c.key for c in second] == [4, 5, 9]


def test_changes_after_until_wait():
    backend = pages_of([RecordChange(T0, 1), RecordChange(T0 + timedelta(seconds=5), 2)], 10)
    found = asyncio.run(oldest_changes(backend, ChangeMark(T0 - timedelta(seconds=1), 0), T0 + timedelta(seconds=2), 10))
    assert [c.key for c in found] == [1]


def test_the_odoo_simulator_bounds_write_date_like_an_index():
    from simulators.odoo import written_from

    window = ["|", ["write_date", ">", "2026-11-01 10:00:00"],
              "&", ["write_date", "=", "2026-11-01 10:00:00"], ["id", ">", 7],
              ["write_date", "<=", "2026-11-23 09:00:00"], ["location_id", "child_of", [101]]]
    assert written_from(window) == "2026-11-01 10:00:00"
    assert written_from(["|", ["write_date", ">", "2026-11-01 10:00:00"], ["id", "=", 3]]) is None  # OR: no bound
    assert written_from(["!", ["write_date", ">", "2026-11-01 10:00:00"]]) is None
    assert written_from([["default_code", "=", "CG-000001"]]) is None
