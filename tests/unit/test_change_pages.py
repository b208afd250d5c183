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


def filtered_pages_of(changes: list[RecordChange], size: int, after: ChangeMark | None, read: list[int]):
    """A backend that filters to the instant (from the mark's instant on, or after it once passed),
    sorts by time only, and counts the pages it serves in `read`."""
    if after is not None:
        changes = [c for c in changes if c.at > after.at or (c.at == after.at and not after.passed_instant)]

    async def next_page(page: int) -> tuple[list[RecordChange], bool]:
        read.append(page)
        return changes[(page - 1) * size: page * size], page * size < len(changes)
    return next_page


def test_a_made_up_mark_inside_a_burst_reads_no_more_than_the_bound():
    # given 50 changes in one second (25 pages of 2), then one later, and a mark a client made inside
    # that second with a key past every change of it
    burst = [RecordChange(T0, key) for key in range(50, 0, -1)] + [RecordChange(T0 + timedelta(seconds=1), 99)]
    made_up = ChangeMark(T0, 10**9)
    until = T0 + timedelta(hours=1)
    read: list[int] = []
    # when the feed reads with a bound of 3 pages
    found = asyncio.run(oldest_changes(filtered_pages_of(burst, 2, made_up, read), made_up, until, 10, max_pages=3))
    # then it read 3 pages, and passed over the second it could not finish
    assert read == [1, 2, 3]
    (passed,) = found
    assert passed.mark.at == T0 and passed.mark.passed_instant and passed.sku is None
    # and the next read starts after that second
    read.clear()
    after = asyncio.run(oldest_changes(filtered_pages_of(burst, 2, passed.mark, read), passed.mark, until, 10,
                                       max_pages=3))
    assert [c.key for c in after] == [99] and read == [1]


def test_a_bound_inside_an_instant_returns_the_instants_before_it_whole():
    changes = [RecordChange(T0, 1), RecordChange(T0, 2), RecordChange(T0 + timedelta(seconds=1), 3),
               *(RecordChange(T0 + timedelta(seconds=2), k) for k in range(10, 20))]
    found = asyncio.run(oldest_changes(pages_of(changes, 2), None, T0 + timedelta(hours=1), 8, max_pages=3))
    assert [c.key for c in found] == [1, 2, 3]


def test_a_mark_with_a_key_of_another_type_is_compared_without_error():
    assert RecordChange(T0, 5).after(ChangeMark(T0, "text")) is False
    assert RecordChange(T0, "prod_1").after(ChangeMark(T0, 10**9)) is True


def test_changes_after_until_wait():
    backend = pages_of([RecordChange(T0, 1), RecordChange(T0 + timedelta(seconds=5), 2)], 10)
    found = asyncio.run(oldest_changes(backend, ChangeMark(T0 - timedelta(seconds=1), 0), T0 + timedelta(seconds=2), 10))
    assert [c.key for c in found] == [1]


def test_the_odoo_simulator_bounds_write_date_like_an_index():
    from simulators.odoo_domains import written_bounds

    window = ["|", ["write_date", ">", "2026-11-01 10:00:00"],
              "&", ["write_date", "=", "2026-11-01 10:00:00"], ["id", ">", 7],
              ["write_date", "<=", "2026-11-23 09:00:00"], ["location_id", "child_of", [101]]]
    assert written_bounds(window) == ("2026-11-01 10:00:00", "2026-11-23 09:00:00")
    assert written_bounds(["|", ["write_date", ">", "2026-11-01 10:00:00"], ["id", "=", 3]]) == (None, None)  # OR
    assert written_bounds(["|", ["write_date", "<", "2026-11-02 00:00:00"], ["write_date", "<", "2026-11-03 00:00:00"]]) \
        == (None, "2026-11-03 00:00:00")
    assert written_bounds(["!", ["write_date", ">", "2026-11-01 10:00:00"]]) == (None, None)
    assert written_bounds([["default_code", "=", "CG-000001"]]) == (None, None)
