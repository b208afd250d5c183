"""Odoo's change feeds: `search_read` on `write_date`, oldest first, ties broken by id.

Each feed asks for `[write_date > t] or [write_date = t and id > last id]`, up to
`until`, so paging through a burst of changes written in one second loses none.
Archived products are read too (`active_test` off) and come back as removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.odoo.transports import NAME
from domain.errors import MalformedPayload
from domain.records import ChangeMark, RecordChange

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
Records = Callable[..., Awaitable[list[dict]]]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime(ODOO_DATETIME)


def window(after: ChangeMark | None, until: datetime) -> list:
    """The domain terms of the records written after `after` and at or before `until`."""
    terms: list = [["write_date", "<=", _stamp(until)]]
    if after is not None:
        terms = ["|", ["write_date", ">", _stamp(after.at)],
                 "&", ["write_date", "=", _stamp(after.at)], ["id", ">", after.key], *terms]
    return terms


async def changed(records: Records, model: str, domain: list, fields: list[str], after: ChangeMark | None,
                  until: datetime, limit: int, to_change: Callable[[dict, datetime], RecordChange],
                  context: dict[str, Any] | None = None) -> list[RecordChange]:
    rows = await records(model, "search_read", domain=[*window(after, until), *domain], fields=["write_date", *fields],
                         order="write_date asc, id asc", limit=limit, context=context or {})
    try:
        # Odoo writes "YYYY-MM-DD HH:MM:SS" in UTC
        return [to_change(row, datetime.fromisoformat(row["write_date"]).replace(tzinfo=UTC)) for row in rows]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise MalformedPayload(NAME, f"{model} change is incomplete ({exc})") from exc


class OdooChangeFeeds:
    """Mixed into the adapter: its `_records` does the calls."""

    _records: Records

    async def product_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        return await changed(
            self._records, "product.template", [["default_code", "!=", False]], ["default_code", "active", "sale_ok"],
            after, until, limit,
            lambda r, at: RecordChange(at, r["id"], sku=r["default_code"], product_erp_id=r["id"],
                                       removed=not (r.get("active", True) and r.get("sale_ok", True))),
            context={"active_test": False})

    async def variant_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        return await changed(
            self._records, "product.product", [], ["product_tmpl_id"], after, until, limit,
            lambda r, at: RecordChange(at, r["id"], product_erp_id=r["product_tmpl_id"][0]),
            context={"active_test": False})

    async def stock_changes(self, location_ids: Sequence[int], after: ChangeMark | None, until: datetime,
                            limit: int) -> list[RecordChange]:
        return await changed(
            self._records, "stock.quant", [["location_id", "child_of", list(location_ids)]], ["product_tmpl_id"],
            after, until, limit, lambda r, at: RecordChange(at, r["id"], product_erp_id=r["product_tmpl_id"][0]))
