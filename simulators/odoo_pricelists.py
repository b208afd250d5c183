"""Odoo's pricelists and their rules (`product.pricelist`, `product.pricelist.item`), with Odoo
19's fields and its `create`/`write` behaviour.

Items are of two sorts:
- the channel pricelists' fixed variant prices, generated from the seed (id = variant id * 10 +
  pricelist id) for the products the seed gives a store or call-centre price;
- items held as written: the seeded demo rules (SEEDED_RULES, on the store pricelist: a formula for
  one category, a percentage off every product), the ones `create` adds, and generated ones once
  written (held whole from then on, stamped with the catalog's clock).
As in Odoo 18+, `create` gives a variant item its variant's template and infers `applied_on` from
the fields given (else `3_global`); `create` and `write` empty the fields the `applied_on` does not
use, and the constraints hold: the target `applied_on` names is given, no rule is based on its own
pricelist, the end is after the start, the minimum margin is not above the maximum.
`price_markup` (18+) is minus `price_discount`, both ways.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from datetime import datetime

from simulators.catalog import BASE_TIME, PRICELISTS
from simulators.odoo_models import CATEGORY_IDS, Model, OdooError, Registry, _aware, _existing, _float

ITEM = "product.pricelist.item"
FIRST_RULE_ID = 5_000_001  # past every generated item's id
CURRENCIES = {125: "EUR", 2: "USD"}
EMPTY = {"applied_on": "3_global", "categ_id": False, "product_tmpl_id": False, "product_id": False,
         "compute_price": "fixed", "fixed_price": 0.0, "percent_price": 0.0, "price_discount": 0.0,
         "price_surcharge": 0.0, "price_round": 0.0, "price_min_margin": 0.0, "price_max_margin": 0.0,
         "base": "list_price", "base_pricelist_id": False, "min_quantity": 0.0, "date_start": False,
         "date_end": False}
SELECTIONS = {"applied_on": ("3_global", "2_product_category", "1_product", "0_product_variant"),
              "compute_price": ("fixed", "percentage", "formula"),
              "base": ("list_price", "standard_price", "pricelist")}
MANY2ONE = {"categ_id": "product.category", "product_tmpl_id": "product.template", "product_id": "product.product",
            "pricelist_id": "product.pricelist", "base_pricelist_id": "product.pricelist"}
# what each applied_on empties, as Odoo's create/write do
EMPTIED = {"3_global": ("product_id", "product_tmpl_id", "categ_id"),
           "2_product_category": ("product_id", "product_tmpl_id"),
           "1_product": ("product_id", "categ_id"), "0_product_variant": ("categ_id",)}
REQUIRED = {"2_product_category": ("categ_id", "category"), "1_product": ("product_tmpl_id", "product"),
            "0_product_variant": ("product_id", "product variant")}

STORE_PRICELIST = 2
# the store's rules besides its fixed prices: knitwear 15 % off, rounded to whole euros less a cent
# (79.99 -> 67.99), and 3 % off every other product
SEEDED_RULES = (
    {"pricelist_id": STORE_PRICELIST, "applied_on": "2_product_category", "categ_id": 100 + CATEGORY_IDS["Knitwear"],
     "compute_price": "formula", "base": "list_price", "price_discount": 15.0, "price_round": 1.0,
     "price_surcharge": -0.01},
    {"pricelist_id": STORE_PRICELIST, "applied_on": "3_global", "compute_price": "percentage", "percent_price": 3.0},
)


class Pricelist(Model):
    name = "product.pricelist"
    few = True

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.created: dict[int, dict] = {}
        self._ids = itertools.count(100)

    def all_ids(self):
        return itertools.chain(PRICELISTS, list(self.created))

    def exists(self, record_id):
        return record_id in PRICELISTS or record_id in self.created

    def _of(self, record_id: int) -> dict:
        return self.created.get(record_id) or {"name": PRICELISTS[record_id], "currency_id": 125}

    def fields(self):
        return {
            "id": lambda i: i,
            "name": lambda i: self._of(i)["name"],
            "display_name": lambda i: f"{self._of(i)['name']} ({CURRENCIES[self._of(i)['currency_id']]})",
            "currency_id": lambda i: [self._of(i)["currency_id"], CURRENCIES[self._of(i)["currency_id"]]],
            "active": lambda i: True,
            "company_id": lambda i: False,
        }

    def create(self, vals: dict, context: dict) -> int:
        if not isinstance(vals, dict) or not vals.get("name"):
            raise OdooError("odoo.exceptions.ValidationError", "The field 'Pricelist Name' (name) is required")
        currency = vals.get("currency_id", 125)
        if currency not in CURRENCIES:
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        pricelist_id = next(self._ids)
        self.created[pricelist_id] = {"name": vals["name"], "currency_id": currency}
        return pricelist_id

    def discard(self, record_id: int) -> None:
        self.created.pop(record_id, None)


class PricelistItem(Model):
    name = ITEM
    relations = dict(MANY2ONE)
    indexes_false = frozenset({"product_id"})

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.held: dict[int, dict] = {}  # id -> the item's fields as written, and its write_date
        self._ids = itertools.count(FIRST_RULE_ID)
        for vals in SEEDED_RULES:
            self.held[next(self._ids)] = {**EMPTY, **vals, "write_date": BASE_TIME}

    # the generated fixed prices

    def _generated_price(self, record_id: int) -> float | None:
        variant_id, pricelist = divmod(record_id, 10)
        found = self.catalog.variants_by_erp_id.get(variant_id)
        if found is None or pricelist not in (2, 3):
            return None
        product, variant = found
        base = product.store_price if pricelist == 2 else product.call_centre_price
        return None if base is None else _float(base + (variant.list_price - product.list_price))

    def _generated(self, record_id: int) -> dict:
        variant_id, pricelist = divmod(record_id, 10)
        product = self.catalog.variants_by_erp_id[variant_id][0]
        return {**EMPTY, "pricelist_id": pricelist, "applied_on": "0_product_variant", "product_id": variant_id,
                "product_tmpl_id": product.erp_id, "fixed_price": self._generated_price(record_id),
                "write_date": product.updated_at}

    def _record(self, record_id: int) -> dict:
        return self.held.get(record_id) or self._generated(record_id)

    def _generated_ids(self, variant_ids: Iterable[int]) -> Iterable[int]:
        return (i for v in variant_ids for i in (v * 10 + 2, v * 10 + 3)
                if i not in self.held and self._generated_price(i) is not None)

    def all_ids(self):
        generated = self._generated_ids(v.erp_id for p in self.catalog.products for v in p.variants)
        return heapq.merge(generated, sorted(self.held))  # in id order, as every model's

    def exists(self, record_id):
        return record_id in self.held or self._generated_price(record_id) is not None

    def ids_of(self, products):
        return self._generated_ids(v.erp_id for p in products for v in p.variants)

    def written_at(self):
        """Held items carry their own write date; generated ones their product's seeded time."""
        return sorted((_aware(r["write_date"]), i) for i, r in self.held.items())

    def candidates(self, field, values):
        if field == "product_id":
            variants = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
            empty = False in values
            return [*self._generated_ids(variants),
                    *(i for i, r in self.held.items() if (r["product_id"] or None) in variants
                      or (empty and r["product_id"] is False))]
        if field == "base" and "list_price" not in values:  # generated items are all on the sales price
            return [i for i, r in self.held.items() if r["base"] in values]
        return super().candidates(field, values)

    # reading

    def _many2one(self, record_id: int, field: str) -> list | bool:
        target = self._record(record_id)[field]
        if target is False:
            return False
        model = self.registry.model(MANY2ONE[field])
        return [target, model.value(target, "complete_name" if field == "categ_id" else "display_name", {})]

    def _label(self, record_id: int) -> str:
        r = self._record(record_id)
        if r["applied_on"] == "2_product_category":
            return f"Category: {self._many2one(record_id, 'categ_id')[1]}"  # type: ignore[index]
        if r["applied_on"] == "1_product":
            return self._many2one(record_id, "product_tmpl_id")[1]  # type: ignore[index]
        if r["applied_on"] == "0_product_variant":
            return f"Variant: {self._many2one(record_id, 'product_id')[1]}"  # type: ignore[index]
        return "All Products"

    def fields(self):
        plain = {name: (lambda i, name=name: self._record(i)[name]) for name in EMPTY if name not in MANY2ONE}
        related = {name: (lambda i, name=name: self._many2one(i, name)) for name in MANY2ONE}
        pricelists = self.registry.model("product.pricelist")
        return {
            "id": lambda i: i,
            **plain,
            **related,
            "price_markup": lambda i: -self._record(i)["price_discount"] or 0.0,
            "currency_id": lambda i: pricelists.value(self._record(i)["pricelist_id"], "currency_id", {}),
            "company_id": lambda i: False,
            "name": self._label,
            "display_name": self._label,
        }

    def datetimes(self):
        return {"write_date": lambda i: self._record(i)["write_date"],
                "date_start": lambda i: _stored(self._record(i)["date_start"]),
                "date_end": lambda i: _stored(self._record(i)["date_end"])}

    # writing

    def create(self, vals: dict, context: dict) -> int:
        item = self._checked({**EMPTY, **self._values(vals, creating=True)})
        record_id = next(self._ids)
        self.held[record_id] = {**item, "write_date": self.catalog.clock()}
        return record_id

    def discard(self, record_id: int) -> None:
        self.held.pop(record_id, None)

    def write(self, ids: list[int], vals: dict) -> bool:
        values = self._values(vals, creating=False)
        for record_id in _existing(self, ids):
            item = self._checked({**self._record(record_id), **values})
            self.held[record_id] = {**item, "write_date": self.catalog.clock()}
        return True

    def _values(self, vals: object, *, creating: bool) -> dict:
        if not isinstance(vals, dict) or (not vals and not creating):
            raise OdooError("ValueError", "write takes a non-empty dict of values")
        values = dict(vals)
        if "price_markup" in values:  # the inverse of the computed markup
            values["price_discount"] = -_number("price_markup", values.pop("price_markup"))
        unknown = sorted(set(values) - set(EMPTY) - {"pricelist_id"})
        if unknown:
            raise OdooError("ValueError", f"Invalid field {unknown[0]!r} on model {ITEM!r}")
        for name, value in values.items():
            if name in SELECTIONS and value not in SELECTIONS[name]:
                raise OdooError("ValueError", f"Wrong value for {ITEM}.{name}: {value!r}")
            if name in MANY2ONE and value is not False:
                if not (isinstance(value, int) and self.registry.model(MANY2ONE[name]).exists(value)):
                    raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
            elif name in ("date_start", "date_end"):
                values[name] = _datetime(name, value)
            elif isinstance(EMPTY.get(name), float):
                values[name] = _number(name, value)
        if creating:
            if values.get("product_id") and not values.get("product_tmpl_id"):
                values["product_tmpl_id"] = self.catalog.variants_by_erp_id[values["product_id"]][0].erp_id
            values.setdefault("applied_on", "0_product_variant" if values.get("product_id") else
                              "1_product" if values.get("product_tmpl_id") else
                              "2_product_category" if values.get("categ_id") else "3_global")
        if "applied_on" in values:
            values.update(dict.fromkeys(EMPTIED[values["applied_on"]], False))
        return values

    def _checked(self, item: dict) -> dict:
        if not item.get("pricelist_id"):
            raise OdooError("odoo.exceptions.ValidationError", "The field 'Pricelist' (pricelist_id) is required")
        required = REQUIRED.get(item["applied_on"])
        if required and not item[required[0]]:
            raise OdooError("odoo.exceptions.ValidationError",
                            f"Please specify the {required[1]} for which this rule should be applied")
        if item["base"] == "pricelist" and item["base_pricelist_id"] == item["pricelist_id"]:
            raise OdooError("odoo.exceptions.ValidationError",
                            "You cannot assign the Main Pricelist as Other Pricelist in PriceList Item")
        if item["date_start"] and item["date_end"] and item["date_start"] >= item["date_end"]:
            raise OdooError("odoo.exceptions.ValidationError", "end date should be after start date")
        if item["price_min_margin"] > item["price_max_margin"]:
            raise OdooError("odoo.exceptions.ValidationError",
                            "The minimum margin should be lower than the maximum margin.")
        return item


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OdooError("ValueError", f"Wrong value for {ITEM}.{name}: {value!r}")
    return float(value)


def _stored(value: str | bool) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _datetime(name: str, value: object) -> str | bool:
    """A Datetime field takes "YYYY-MM-DD HH:MM:SS" (UTC) or False; it reads back the same."""
    if value is False:
        return False
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise OdooError("ValueError", f"Wrong value for {ITEM}.{name}: {value!r}") from None


MODELS = (Pricelist, PricelistItem)
