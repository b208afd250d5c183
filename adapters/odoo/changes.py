"""Odoo's change feeds: `search_read` on `write_date`, oldest first, ties in a second broken by id.

Odoo stores `write_date` to the microsecond and reads it back to the second, in UTC. Odoo 19
compares it in domains to the second as well (`=` and `>=` find the record just read, `>` means
from the next second on); Odoo 18 and older compare the stored value, to the microsecond (`=` a
second finds almost nothing written within it, `>` finds the rest of that second). So the feeds
ask only what every version answers alike: `>=` a second and `<` the next one, never `=` or `>`,
and values as Odoo writes them ("YYYY-MM-DD HH:MM:SS", UTC, no zone suffix: Odoo 19 fails on `Z`).
A page comes ordered by the stored value, so within its last second the ids come in no order:
when a page is full, that second is read again ordered by id, which costs a second call and lets
a burst of changes in one second, larger than a page, page through without a repeat or a gap.
A feed's mark is (second, key); the next page starts after the key within that second.

Odoo deletes a quant that stock left empty (`_unlink_zero_quants`), so the stock feed also reads
the done stock moves of its locations, which are never deleted; their keys ("move:<id>") sort after
the quants' numeric ids within a second.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.odoo.identity import ProductIdentity
from adapters.odoo.transports import NAME
from domain.errors import MalformedPayload
from domain.records import ChangeMark, RecordChange, key_order

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
SECOND = timedelta(seconds=1)
Records = Callable[..., Awaitable[list[dict]]]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime(ODOO_DATETIME)


def _second(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Start:
    """Where a model's changes are read from: the records of `second` with an id above `after_id`
    (every record of it when None), then every later second."""

    second: datetime
    after_id: int | None = None


def _within(second: datetime, after_id: int | None = None) -> list:
    terms: list = [["write_date", ">=", _stamp(second)], ["write_date", "<", _stamp(second + SECOND)]]
    return [*terms, ["id", ">", after_id]] if after_id is not None else terms


def window(start: Start | None, until: datetime) -> list:
    """The domain terms of the records written from `start` on, up to `until`'s second."""
    terms: list = [["write_date", "<", _stamp(_second(until) + SECOND)]]
    if start is None:
        return terms
    if start.after_id is None:
        return [["write_date", ">=", _stamp(start.second)], *terms]
    return ["|", "&", *_within(start.second)[:1], "&", *_within(start.second, start.after_id)[1:],
            ["write_date", ">=", _stamp(start.second + SECOND)], *terms]


ToChange = Callable[[dict, datetime, int | str], RecordChange]


@dataclass(frozen=True)
class Source:
    """One model a feed reads; its keys are the record ids, or `prefix` and the zero-padded id."""

    model: str
    domain: list
    fields: list[str]
    prefix: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def key(self, record_id: int) -> int | str:
        return record_id if self.prefix is None else f"{self.prefix}{record_id:012d}"

    def own_id(self, key: object) -> int | None:
        if self.prefix is None:
            return key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.startswith(self.prefix) and key[len(self.prefix):].isdigit():
            return int(key[len(self.prefix):])
        return None

    def start(self, after: ChangeMark | None) -> Start | None:
        """Where to read on after the mark: within its second after its key when the key is one of
        this model's, the whole second when the key sorts before them, else from the next second."""
        if after is None:
            return None
        second = _second(after.at)
        if after.at != second:  # a mark between two seconds (never a change's): from the next one
            return Start(second + SECOND)
        own = self.own_id(after.key)
        if own is not None:
            return Start(second, own)
        return Start(second) if key_order(after.key) < key_order(self.key(0)) else Start(second + SECOND)


async def _search(records: Records, source: Source, domain: list, order: str, limit: int) -> list[tuple[datetime, dict]]:
    rows = await records(source.model, "search_read", domain=[*domain, *source.domain],
                         fields=["write_date", *source.fields], order=order, limit=limit, context=source.context)
    try:
        # Odoo writes "YYYY-MM-DD HH:MM:SS" in UTC
        return [(datetime.fromisoformat(row["write_date"]).replace(tzinfo=UTC), row) for row in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"{source.model} change has no write date ({exc})") from exc


async def read_rows(records: Records, source: Source, after: ChangeMark | None, until: datetime,
                    limit: int) -> list[tuple[datetime, dict]]:
    """The rows of the first `limit` changes of one model after the mark, each with its second; in
    (second, key) order only once sorted by key within a second."""
    start = source.start(after)
    found = await _search(records, source, window(start, until), "write_date asc, id asc", limit)
    if len(found) == limit:
        last = found[-1][0]
        head = [(at, row) for at, row in found if at < last]
        after_id = start.after_id if start is not None and start.second == last else None
        found = head + await _search(records, source, _within(last, after_id), "id asc", limit - len(head))
    return found


def in_order(changes: list[RecordChange]) -> list[RecordChange]:
    return sorted(changes, key=lambda c: (c.at, c.order))


async def read_source(records: Records, source: Source, to_change: ToChange, after: ChangeMark | None,
                      until: datetime, limit: int) -> list[RecordChange]:
    """The first `limit` changes of one model after the mark, in (second, key) order."""
    found = await read_rows(records, source, after, until, limit)
    try:
        changes = [to_change(row, at, source.key(row["id"])) for at, row in found]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise MalformedPayload(NAME, f"{source.model} change is incomplete ({exc})") from exc
    return in_order(changes)


async def changed(records: Records, sources: Sequence[Source], to_change: ToChange, after: ChangeMark | None,
                  until: datetime, limit: int) -> list[RecordChange]:
    """The first `limit` changes over every source: each source's first `limit` hold them."""
    if len(sources) == 1:
        return await read_source(records, sources[0], to_change, after, until, limit)
    read = await asyncio.gather(*(read_source(records, s, to_change, after, until, limit) for s in sources))
    return sorted((c for changes in read for c in changes), key=lambda c: (c.at, c.order))[:limit]


def _of_template(row: dict, at: datetime, key: int | str) -> RecordChange:
    return RecordChange(at, key, product_erp_id=row["product_tmpl_id"][0])


def _of_variant(row: dict, at: datetime, key: int | str) -> RecordChange:
    """A stock record: its template, and the variant (product.product) whose count it is."""
    variant = row.get("product_id")
    return RecordChange(at, key, product_erp_id=row["product_tmpl_id"][0],
                        variant_erp_id=variant[0] if isinstance(variant, list) and variant else None)


class OdooChangeFeeds:
    """Mixed into the adapter: its `_records` does the calls."""

    _records: Records
    identity: ProductIdentity

    async def product_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        """Every template, with the SKU adapters/odoo/identity.py gives it (a removed one is known by it)."""
        identity = self.identity
        source = Source("product.template", [], [identity.field, "active", "sale_ok"], context={"active_test": False})
        changes = await changed(
            self._records, [source],
            lambda r, at, key: RecordChange(at, key, sku=identity.own(r), product_erp_id=r["id"],
                                            removed=not (r.get("active", True) and r.get("sale_ok", True))),
            after, until, limit)
        fallback = await identity.fallback_skus(self._records, (c.product_erp_id for c in changes
                                                                if c.sku is None and c.product_erp_id is not None))
        return [dataclasses.replace(c, sku=fallback[c.product_erp_id]) if c.product_erp_id in fallback else c
                for c in changes]

    async def variant_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        source = Source("product.product", [], ["product_tmpl_id"], context={"active_test": False})
        return await changed(self._records, [source], _of_template, after, until, limit)

    async def stock_changes(self, location_ids: Sequence[int], after: ChangeMark | None, until: datetime,
                            limit: int) -> list[RecordChange]:
        locations = list(location_ids)
        quants = Source("stock.quant", [["location_id", "child_of", locations]], ["product_tmpl_id", "product_id"])
        moves = Source("stock.move", [["state", "=", "done"], "|", ["location_id", "child_of", locations],
                                      ["location_dest_id", "child_of", locations]],
                       ["product_tmpl_id", "product_id"], prefix="move:")
        return await changed(self._records, [quants, moves], _of_variant, after, until, limit)
