"""Odoo's pricelist rules, worked out as Odoo 17.0–19.0 work them out (`product.pricelist`
`_compute_price_rule`, `product.pricelist.item` `_is_applicable_for`, `_compute_price`,
`_compute_base_price`): Odoo's own computation is private over the external API (JSON-2 answers
`_get_product_price` with 403), so the gateway reads the rules and applies them itself.

- Rules are tried in Odoo's order (the item model's `_order`): variant rules, then template rules,
  then category rules, then global ones; within each, the larger minimum quantity first, then the
  deeper category (`complete_name` descending), then the newer rule. The first that applies wins;
  none: the variant's sales price (`lst_price`: the template's plus its attribute extras).
- A rule applies when the quantity reaches its `min_quantity` (0: any) and every product field it
  names matches: its category is the variant's or one of its ancestors, its template, its variant.
  The rule's dates are the search's business (`date_start` <= now <= `date_end`).
- `fixed`: `fixed_price`. `percentage`: the base less `percent_price` %. `formula`: the base less
  `price_discount` %, rounded to a multiple of `price_round` (half up), plus `price_surcharge`, kept
  within `price_min_margin` and `price_max_margin` of the base (each only when not 0). The base is
  `base`: the sales price (`list_price`), the cost (`standard_price`), or the price of the same
  variant and quantity on `base_pricelist_id` (`pricelist`), worked out the same way, at most
  MAX_CHAIN pricelists deep.
- Odoo keeps the unrounded figure through a chain; its order line stores the price to the
  'Product Price' precision (2 digits by default, half up), and so does `price`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from adapters.odoo.transports import NAME
from domain.errors import BackendError, MalformedPayload

MAX_CHAIN = 8  # pricelists one price may pass through, each based on the next (Odoo sets no bound)
CENT = Decimal("0.01")
APPLIED_ON = ("0_product_variant", "1_product", "2_product_category", "3_global")
COMPUTE_PRICE = ("fixed", "percentage", "formula")
BASES = ("list_price", "standard_price", "pricelist")


@dataclass(frozen=True, slots=True)
class PricelistRule:
    """One `product.pricelist.item`, as the computation needs it."""

    id: int
    pricelist_id: int
    applied_on: str
    category_id: int | None = None
    category_name: str = ""  # the category's complete_name ("All / Saleable / Shoes"): Odoo orders by it
    template_id: int | None = None
    variant_id: int | None = None
    min_quantity: Decimal = Decimal(0)
    compute_price: str = "fixed"
    fixed_price: Decimal = Decimal(0)
    percent_price: Decimal = Decimal(0)
    price_discount: Decimal = Decimal(0)
    price_surcharge: Decimal = Decimal(0)
    price_round: Decimal = Decimal(0)
    price_min_margin: Decimal = Decimal(0)
    price_max_margin: Decimal = Decimal(0)
    base: str = "list_price"
    base_pricelist_id: int | None = None

    @property
    def based_on(self) -> int | None:
        """The pricelist whose price this rule starts from, if it starts from one."""
        if self.compute_price != "fixed" and self.base == "pricelist":
            return self.base_pricelist_id
        return None

    @property
    def needs_cost(self) -> bool:
        return self.compute_price != "fixed" and self.base == "standard_price"

    @property
    def names_products(self) -> bool:
        """It is for one template or variant (else for a category or for every product)."""
        return self.template_id is not None or self.variant_id is not None


@dataclass(frozen=True, slots=True)
class RuledProduct:
    """A variant as the rules see it."""

    variant_id: int
    template_id: int
    category_path: tuple[int, ...]  # its category and every ancestor (`parent_path`)
    list_price: Decimal  # lst_price
    cost: Decimal | None = None  # standard_price, read only where a rule starts from it


def in_odoo_order(rules: Sequence[PricelistRule]) -> list[PricelistRule]:
    """`applied_on, min_quantity desc, categ_id desc, id desc`; a category sorts by its
    complete_name, and no category sorts first when descending, as in PostgreSQL."""
    ordered = sorted(rules, key=lambda r: r.id, reverse=True)
    ordered.sort(key=lambda r: (r.category_id is None, r.category_name), reverse=True)
    ordered.sort(key=lambda r: r.min_quantity, reverse=True)
    ordered.sort(key=lambda r: r.applied_on)
    return ordered


def applies(rule: PricelistRule, product: RuledProduct, quantity: Decimal) -> bool:
    if rule.min_quantity and quantity < rule.min_quantity:
        return False
    if rule.category_id is not None and rule.category_id not in product.category_path:
        return False
    if rule.template_id is not None and rule.template_id != product.template_id:
        return False
    return rule.variant_id is None or rule.variant_id == product.variant_id


def price(pricelist_id: int, product: RuledProduct, quantity: Decimal,
          rules: Mapping[int, Sequence[PricelistRule]]) -> tuple[Decimal, PricelistRule | None]:
    """The unit price on `pricelist_id` to the cent, and the rule it came from (None: the sales
    price). `rules` holds each pricelist's rules in Odoo's order, for every pricelist of the chain."""
    raw, rule = _price(pricelist_id, product, quantity, rules, (pricelist_id,))
    return raw.quantize(CENT, ROUND_HALF_UP), rule


def _price(pricelist_id: int, product: RuledProduct, quantity: Decimal,
           rules: Mapping[int, Sequence[PricelistRule]],
           chain: tuple[int, ...]) -> tuple[Decimal, PricelistRule | None]:
    rule = next((r for r in rules.get(pricelist_id, ()) if applies(r, product, quantity)), None)
    if rule is None:
        return product.list_price, None
    if rule.compute_price == "fixed":
        return rule.fixed_price, rule
    base = _base(rule, product, quantity, rules, chain)
    if rule.compute_price == "percentage":
        return base - base * rule.percent_price / 100, rule
    found = base - base * rule.price_discount / 100
    if rule.price_round:
        found = round_to_multiple(found, rule.price_round)
    found += rule.price_surcharge
    if rule.price_min_margin:
        found = max(found, base + rule.price_min_margin)
    if rule.price_max_margin:
        found = min(found, base + rule.price_max_margin)
    return found, rule


def _base(rule: PricelistRule, product: RuledProduct, quantity: Decimal,
          rules: Mapping[int, Sequence[PricelistRule]], chain: tuple[int, ...]) -> Decimal:
    other = rule.based_on
    if other is not None:
        if other in chain or len(chain) >= MAX_CHAIN:
            path = " -> ".join(str(p) for p in (*chain, other))
            raise BackendError(NAME, f"pricelist rule {rule.id} makes the chain {path}: a loop, or more than "
                                     f"{MAX_CHAIN} pricelists")
        return _price(other, product, quantity, rules, (*chain, other))[0]
    if rule.base == "standard_price":
        if product.cost is None:
            raise MalformedPayload(NAME, f"the cost of product.product {product.variant_id} was not read")
        return product.cost
    return product.list_price


def round_to_multiple(value: Decimal, step: Decimal) -> Decimal:
    """`float_round(value, precision_rounding=step)`: the nearest multiple, halves away from zero."""
    return (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step
