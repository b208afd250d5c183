"""Channel prices from an Odoo pricelist: its rules read over the API and worked out here
(adapters/odoo/pricelist_rules.py), for a quantity of one (the catalog price).

A batch of variants takes two rounds of calls, plus one per pricelist a rule starts from:
1. `product.product` read: template, category and `lst_price`;
2. at once, `product.category` read of `parent_path` (the ancestors), and the rules that can apply
   to those variants now, by Odoo's own `_get_applicable_rules_domain` (category empty or a parent
   of theirs, template empty or theirs, variant empty or theirs, `date_start`/`date_end` around the
   adapter's clock);
3. the rules of the pricelists those rules start from (`base = pricelist`), level by level; and the
   variants' `standard_price` where a rule starts from the cost.

The feed of a pricelist's changes reads the items (`write_date`) of the pricelist and of every
pricelist it starts from. A rule for one template or variant is a change of that product; a rule
for a category or for every product is `every_product`: the prices of any product may have moved.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from adapters.odoo.changes import ODOO_DATETIME, Source, in_order, read_rows
from adapters.odoo.pricelist_rules import (
    BASES,
    COMPUTE_PRICE,
    MAX_CHAIN,
    PricelistRule,
    RuledProduct,
    in_odoo_order,
    price,
)
from adapters.odoo.transports import NAME
from domain.errors import BackendError, MalformedPayload
from domain.records import ChangeMark, PriceListEntry, RecordChange

Records = Callable[..., Awaitable[list[dict]]]
ITEM = "product.pricelist.item"
ITEM_FIELDS = ["pricelist_id", "applied_on", "categ_id", "product_tmpl_id", "product_id", "min_quantity",
               "date_start", "date_end", "compute_price", "fixed_price", "percent_price", "price_discount",
               "price_surcharge", "price_round", "price_min_margin", "price_max_margin", "base",
               "base_pricelist_id", "currency_id"]
CATALOG_QUANTITY = Decimal(1)


def _id(raw: object) -> int | None:
    """A many2one's id: `[id, name]`, or False when empty."""
    if raw is False or raw is None:
        return None
    if isinstance(raw, list) and raw and isinstance(raw[0], int):
        return raw[0]
    raise ValueError(f"{raw!r} is not a many2one")


def _number(raw: object) -> Decimal:
    if raw is False or raw is None:
        return Decimal(0)
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return Decimal(raw)
    raise ValueError(f"{raw!r} is not a number")


def _choice(raw: object, allowed: Sequence[str], default: str) -> str:
    if raw is False or raw is None:
        return default
    if raw not in allowed:
        raise ValueError(f"{raw!r} is none of {', '.join(allowed)}")
    return str(raw)


def rule_of(row: dict) -> PricelistRule:
    try:
        category = row.get("categ_id")
        return PricelistRule(
            id=row["id"], pricelist_id=_id(row["pricelist_id"]) or 0, applied_on=str(row.get("applied_on") or ""),
            category_id=_id(category), category_name=category[1] if isinstance(category, list) else "",
            template_id=_id(row.get("product_tmpl_id")), variant_id=_id(row.get("product_id")),
            min_quantity=_number(row.get("min_quantity")),
            compute_price=_choice(row.get("compute_price"), COMPUTE_PRICE, "fixed"),
            fixed_price=_number(row.get("fixed_price")), percent_price=_number(row.get("percent_price")),
            price_discount=_number(row.get("price_discount")), price_surcharge=_number(row.get("price_surcharge")),
            price_round=_number(row.get("price_round")), price_min_margin=_number(row.get("price_min_margin")),
            price_max_margin=_number(row.get("price_max_margin")),
            base=_choice(row.get("base"), BASES, "list_price"), base_pricelist_id=_id(row.get("base_pricelist_id")))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise MalformedPayload(NAME, f"{ITEM} {row.get('id')!r} is incomplete ({exc})") from exc


async def channel_prices(records: Records, pricelist_id: int, variant_ids: Sequence[int],
                         now: datetime) -> list[PriceListEntry]:
    """The price on `pricelist_id` of each variant a rule prices (the others sell at `lst_price`)."""
    if not variant_ids:
        return []
    variants = await records("product.product", "read", ids=list(variant_ids),
                             fields=["product_tmpl_id", "categ_id", "lst_price"])
    try:
        facts = {r["id"]: (_id(r["product_tmpl_id"]), _id(r["categ_id"]), _number(r["lst_price"])) for r in variants}
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"product.product is incomplete ({exc})") from exc
    category_ids = sorted({c for _, c, _ in facts.values() if c is not None})
    template_ids = sorted({t for t, _, _ in facts.values() if t is not None})
    scope = _applicable(category_ids, template_ids, sorted(facts), now)
    categories, first = await asyncio.gather(
        records("product.category", "read", ids=category_ids, fields=["parent_path"]) if category_ids else _none(),
        records(ITEM, "search_read", domain=[["pricelist_id", "=", pricelist_id], *scope], fields=ITEM_FIELDS))
    rows = await _chain_rows(records, pricelist_id, first, scope)
    _one_currency(pricelist_id, rows)
    rules: dict[int, list[PricelistRule]] = defaultdict(list)
    for parsed in map(rule_of, rows):
        rules[parsed.pricelist_id].append(parsed)
    ordered = {p: in_odoo_order(found) for p, found in rules.items()}
    costs = await _costs(records, sorted(facts)) if any(r.needs_cost for found in rules.values() for r in found) \
        else {}
    paths = {c["id"]: _path(c) for c in categories}
    entries = []
    for variant_id, (template_id, category_id, list_price) in facts.items():
        product = RuledProduct(variant_id, template_id or 0, paths.get(category_id, ()) if category_id else (),
                               list_price, costs.get(variant_id))
        amount, rule = price(pricelist_id, product, CATALOG_QUANTITY, ordered)
        if rule is not None:
            entries.append(PriceListEntry(variant_erp_id=variant_id, price=amount))
    return entries


async def _none() -> list[dict]:
    return []


def _applicable(category_ids: list[int], template_ids: list[int], variant_ids: list[int], now: datetime) -> list:
    """Odoo's `_get_applicable_rules_domain`, less the pricelist."""
    stamp = now.astimezone(UTC).strftime(ODOO_DATETIME)
    return ["|", ["categ_id", "=", False], ["categ_id", "parent_of", category_ids],
            "|", ["product_tmpl_id", "=", False], ["product_tmpl_id", "in", template_ids],
            "|", ["product_id", "=", False], ["product_id", "in", variant_ids],
            "|", ["date_start", "=", False], ["date_start", "<=", stamp],
            "|", ["date_end", "=", False], ["date_end", ">=", stamp]]


async def _chain_rows(records: Records, pricelist_id: int, first: list[dict], scope: list) -> list[dict]:
    """`first`, and the rows of every pricelist they start from, level by level (MAX_CHAIN at most:
    a longer chain is refused where a price needs it)."""
    rows, read = list(first), {pricelist_id}
    frontier = _bases(first) - read
    for _ in range(MAX_CHAIN - 1):
        if not frontier:
            break
        read |= frontier
        found = await records(ITEM, "search_read", domain=[["pricelist_id", "in", sorted(frontier)], *scope],
                              fields=ITEM_FIELDS)
        rows += found
        frontier = _bases(found) - read
    return rows


def _bases(rows: list[dict]) -> set[int]:
    return {b for b in (rule_of(r).based_on for r in rows) if b is not None}


def _one_currency(pricelist_id: int, rows: list[dict]) -> None:
    """Odoo converts a base in another currency at the day's rate; the gateway does not."""
    currencies = {(_id(r["pricelist_id"]), r["currency_id"][1]) for r in rows if isinstance(r.get("currency_id"), list)}
    if len({name for _, name in currencies}) > 1:
        named = ", ".join(f"{p} in {name}" for p, name in sorted(currencies, key=str))
        raise BackendError(NAME, f"pricelist {pricelist_id} starts from pricelists in other currencies ({named}): "
                                 f"converting currencies is not supported")


async def _costs(records: Records, variant_ids: list[int]) -> dict[int, Decimal]:
    rows = await records("product.product", "read", ids=variant_ids, fields=["standard_price"])
    try:
        return {r["id"]: _number(r["standard_price"]) for r in rows}
    except (KeyError, ValueError) as exc:
        raise MalformedPayload(NAME, f"product.product cost is incomplete ({exc})") from exc


def _path(category: dict) -> tuple[int, ...]:
    """`parent_path` ("1/4/9/"): the category's ancestors and itself."""
    raw = category.get("parent_path")
    try:
        return tuple(int(part) for part in str(raw).split("/") if part) if raw else (category["id"],)
    except ValueError as exc:
        raise MalformedPayload(NAME, f"product.category {category.get('id')!r} parent_path {raw!r}") from exc


async def watched_pricelists(records: Records, pricelist_id: int) -> list[int]:
    """The pricelist and every pricelist its rules start from (MAX_CHAIN levels)."""
    watched, frontier = {pricelist_id}, {pricelist_id}
    for _ in range(MAX_CHAIN - 1):
        rows = await records(ITEM, "search_read", fields=["base_pricelist_id"],
                             domain=[["pricelist_id", "in", sorted(frontier)], ["base", "=", "pricelist"],
                                     ["compute_price", "!=", "fixed"], ["base_pricelist_id", "!=", False]])
        frontier = {b for b in (_id(r.get("base_pricelist_id")) for r in rows) if b is not None} - watched
        if not frontier:
            break
        watched |= frontier
    return sorted(watched)


async def pricelist_changes(records: Records, pricelist_id: int, after: ChangeMark | None, until: datetime,
                            limit: int) -> list[RecordChange]:
    """The items of the pricelist (and of those it starts from) written after `after`, oldest first:
    each as a change of its product, or of every product when it names none."""
    watched = await watched_pricelists(records, pricelist_id)
    source = Source(ITEM, [["pricelist_id", "in", watched]], ["product_tmpl_id", "product_id"])
    rows = await read_rows(records, source, after, until, limit)  # paged by whole seconds, as every feed
    try:
        # Odoo 17 deduces no template from a variant item made through the API: its variant's is read
        orphans = sorted({v for _, r in rows if not r.get("product_tmpl_id") and (v := _id(r.get("product_id")))})
        templates = {r["id"]: _id(r["product_tmpl_id"]) for r in await records(
            "product.product", "read", ids=orphans, fields=["product_tmpl_id"])} if orphans else {}
        changes = []
        for at, r in rows:
            variant = _id(r.get("product_id"))
            template = _id(r.get("product_tmpl_id")) or (templates.get(variant) if variant else None)
            changes.append(RecordChange(at, r["id"], product_erp_id=template) if template is not None
                           else RecordChange(at, r["id"], every_product=True))
        return in_order(changes)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"{ITEM} change is incomplete ({exc})") from exc
