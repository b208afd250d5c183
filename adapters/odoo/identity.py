"""Which SKU names an Odoo product template.

A template's SKU is its reference field (`default_code`, the Internal Reference, unless
configured) when set. Odoo computes a template's `default_code` from its variant when it has
one, and leaves it empty when it has several (the demo's "Customizable Desk": variants DESK0005,
DESK0006, FURN_0096…, no template code). Such a template's SKU is then, by `fallback`:
- `variant`: the code of its first variant by id that has one, archived variants included (so
  archiving that variant keeps the product's SKU); `tmpl-<id>` when no variant has a code;
- `id`: `tmpl-<id>`.
Both are stable while the template keeps no code of its own and (for `variant`) that variant
keeps its code. Reading a template's variants' codes costs a call after the one that found it, so
the SKUs found so are kept for FALLBACK_SECONDS (a listing asks once per template, not per page);
a lookup by SKU always reads them afresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Literal

from adapters.odoo.transports import NAME
from domain.errors import MalformedPayload

TEMPLATE_PREFIX = "tmpl-"
Records = Callable[..., Awaitable[list[dict]]]
SkuFallback = Literal["variant", "id"]
FALLBACK_SECONDS = 300.0  # how long a template's SKU found through its variants is reused
FALLBACK_KEPT = 100_000  # at most this many kept: beyond, they are all read again


def template_sku(template_id: int) -> str:
    return f"{TEMPLATE_PREFIX}{template_id}"


def _template_id(sku: str) -> int | None:
    number = sku[len(TEMPLATE_PREFIX):]
    return int(number) if sku.startswith(TEMPLATE_PREFIX) and number.isdigit() and number[0] != "0" else None


class ProductIdentity:
    def __init__(self, field: str = "default_code", fallback: SkuFallback = "variant",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.field = field
        self.fallback = fallback
        self.clock = clock
        self._kept: dict[int, tuple[str, float]] = {}  # template id -> (SKU, until)

    def own(self, row: dict) -> str | None:
        """The template's own SKU: its reference field, when set."""
        value = row.get(self.field)
        return value if isinstance(value, str) and value else None

    async def skus(self, records: Records, rows: Sequence[dict]) -> dict[int, str]:
        """Each template row's SKU by its id; the variants' codes are read (one call) for those with no
        reference of their own."""
        if not all(isinstance(row.get("id"), int) for row in rows):
            raise MalformedPayload(NAME, "a product.template record has no id")
        own = {row["id"]: sku for row in rows if (sku := self.own(row))}
        return {**await self.fallback_skus(records, [row["id"] for row in rows if row["id"] not in own]), **own}

    async def fallback_skus(self, records: Records, template_ids: Iterable[int], fresh: bool = False) -> dict[int, str]:
        """The SKUs of templates with no reference of their own; kept ones unless `fresh`."""
        ids = list(dict.fromkeys(template_ids))
        if self.fallback != "variant":
            return {i: template_sku(i) for i in ids}
        now = self.clock()
        kept = {} if fresh else {i: sku for i in ids if (sku := self._kept_sku(i, now))}
        found = await self._first_codes(records, [i for i in ids if i not in kept])
        if len(self._kept) + len(found) > FALLBACK_KEPT:
            self._kept.clear()
        self._kept |= {i: (sku, now + FALLBACK_SECONDS) for i, sku in found.items()}
        return kept | found

    def _kept_sku(self, template_id: int, now: float) -> str | None:
        sku, until = self._kept.get(template_id, ("", 0.0))
        return sku if until > now else None

    async def _first_codes(self, records: Records, ids: list[int]) -> dict[int, str]:
        first_codes: dict[int, str] = {}
        if ids:
            variants = await records("product.product", "search_read", fields=["default_code", "product_tmpl_id"],
                                     domain=[["product_tmpl_id", "in", ids], ["default_code", "!=", False]],
                                     order="id asc", context={"active_test": False})
            try:
                for v in variants:
                    first_codes.setdefault(v["product_tmpl_id"][0], v["default_code"])
            except (KeyError, TypeError, IndexError) as exc:
                raise MalformedPayload(NAME, f"product.product is incomplete ({exc})") from exc
        return {i: first_codes.get(i) or template_sku(i) for i in ids}

    async def candidate_ids(self, records: Records, skus: Sequence[str]) -> list[int]:
        """Templates whose SKU may be one of `skus` though none is their reference: `tmpl-<id>`, and
        (`variant`) those with a variant coded so, archived or not."""
        ids = [i for i in map(_template_id, skus) if i is not None]
        if self.fallback == "variant":
            variants = await records("product.product", "search_read", domain=[["default_code", "in", list(skus)]],
                                     fields=["product_tmpl_id"], context={"active_test": False})
            try:
                ids += [v["product_tmpl_id"][0] for v in variants]
            except (KeyError, TypeError, IndexError) as exc:
                raise MalformedPayload(NAME, f"product.product is incomplete ({exc})") from exc
        return list(dict.fromkeys(ids))

    async def by_sku(self, records: Records, skus: Sequence[str], fields: list[str]) -> list[tuple[dict, str]]:
        """The template rows (with `fields`) whose SKU is one of `skus`, each with its SKU."""
        rows = await records("product.template", "search_read", domain=[[self.field, "in", list(skus)]],
                             fields=fields)
        found = {sku for row in rows if (sku := self.own(row))}
        rest = [s for s in skus if s not in found]
        if not rest:
            return [(row, self.own(row) or "") for row in rows]
        ids = await self.candidate_ids(records, rest)
        if ids:
            codeless, fallback = await asyncio.gather(
                records("product.template", "search_read", domain=[["id", "in", ids], [self.field, "=", False]],
                        fields=fields),
                self.fallback_skus(records, ids, fresh=True))
            rows += codeless
        else:
            fallback = {}
        wanted = set(skus)
        paired = [(row, self.own(row) or fallback.get(row["id"], template_sku(row["id"]))) for row in rows]
        return [(row, sku) for row, sku in paired if sku in wanted]
