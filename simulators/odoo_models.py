"""The handful of Odoo models the gateway reads, computed on demand from the seeded catalog.

Records are never materialised in bulk: a model answers `value(id, field)`, and searches
go by its indexes (odoo_indexes.py): its records in id order (`ordered_ids`) and in
`write_date` order (`write_order`), the value indexes of its `indexed` fields, and
`candidates` for the ids a few lookups name; so a 100,000-product catalog answers as fast
as a small one. Many2one values are `[id, display_name]`, as Odoo returns them.

Datetime fields hold microseconds, as PostgreSQL stores Odoo's `cr.now()`, and read
back as whole seconds in UTC ("YYYY-MM-DD HH:MM:SS"), as `fields.Datetime.to_string`
writes them; `datetimes()` names a model's datetime fields and their stored values.
"""

from __future__ import annotations

import functools
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

from simulators.catalog import (
    BRANDS,
    CATEGORIES,
    LOCATIONS,
    Catalog,
    SeedLocation,
    in_time_order,
    variant_key,
)
from simulators.odoo_indexes import ValueIndex

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"


class OdooError(Exception):
    """Raised for what Odoo reports as a server error; `name` is the exception class Odoo names
    (a Python builtin by its bare name). JSON-2 answers Odoo's own exceptions (UserError and its
    kin) with 422 and any other exception with 500."""

    def __init__(self, name: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.name = name if "." in name else f"builtins.{name}"
        self.message = message
        self.status = status or (422 if self.name.startswith("odoo.exceptions.") else 500)


@functools.lru_cache(maxsize=200_000)  # seeded times repeat on every read
def _dt(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).strftime(ODOO_DATETIME)


def naive_utc(value: datetime) -> datetime:
    """A stored datetime as the database holds it: naive, in UTC, to the microsecond."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def domain_datetime(value: object) -> datetime | None:
    """A datetime a domain compares with: Odoo takes naive UTC text ("2026-01-05 08:00:00", to the
    microsecond if given) and fails, as a server error, on a zone (`Z`, `+00:00`) or anything else."""
    if value is False or value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise OdooError("ValueError", f"Datetime field expects a naive datetime in UTC: {value!r}")
    return parsed


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _float(value: Decimal) -> float:
    return float(value)


def _read_datetime(stored: Callable[[int], datetime | None], record_id: int) -> str | bool:
    value = stored(record_id)
    return _dt(value) if value else False


class Model(ABC):
    name = ""
    relations: dict[str, str] = {}  # many2one fields: the model each points to
    x2many: dict[str, str] = {}  # one2many fields: the model of the records each lists

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.catalog = registry.catalog
        self._getters: dict[str, Callable[..., object]] | None = None
        self._datetimes: dict[str, Callable[[int], datetime | None]] | None = None
        self._indexes: dict[str, ValueIndex] = {}
        self._written: tuple[int, list[tuple[datetime, int]]] | None = None

    @abstractmethod
    def all_ids(self) -> Iterable[int]: ...

    @abstractmethod
    def exists(self, record_id: int) -> bool: ...

    @abstractmethod
    def fields(self) -> dict[str, Callable[..., object]]: ...

    def datetimes(self) -> dict[str, Callable[[int], datetime | None]]:
        """The model's datetime fields: each record's stored value (aware or naive UTC), None when unset."""
        return {}

    stamped = False  # True where `stamped_id` and `ids_of` map stamps and products to this model's records
    indexed: frozenset[str] = frozenset()  # fields with a value index (odoo_indexes.ValueIndex)
    few = False  # True where the model holds a handful of records: a path through it may read them all
    x2many_inverse: dict[str, str] = {}  # one2many field -> the many2one of the listed records pointing back

    def written_at(self) -> list[tuple[datetime, int]] | None:
        """(write_date, id) of the records a write stamped, sorted, times aware; the others have their
        product's seeded time. None when the model's write dates follow no product."""
        if not self.stamped:
            return None
        if self._written is None or self._written[0] != self.catalog.revision:
            stamped = ((at, self.stamped_id(key)) for (backend, key), at in list(self.catalog.stamps.items())
                       if backend == "odoo")
            self._written = (self.catalog.revision, sorted((_aware(at), i) for at, i in stamped if i is not None))
        return self._written[1]

    def write_order(self, descending: bool, floor: datetime | None = None,
                    ceiling: datetime | None = None) -> Iterator[list[int]] | None:
        """The records grouped by equal `write_date` (ids ascending), in order, from `floor` to
        `ceiling` (aware, both included); None when the model cannot tell."""
        written = self.written_at()
        if written is None:
            return None
        products = self.catalog.products
        groups = in_time_order(self.catalog, lambda indexes: self.ids_of([products[n] for n in indexes]),
                               written, descending, floor, ceiling)
        return (found for _, group in groups if (found := [i for i in group if self.exists(i)]))

    def ordered_ids(self, descending: bool) -> Iterable[int] | None:
        """Every record in id order, when the model can give them so without sorting."""
        return None

    def size(self) -> int | None:
        """How many records the model holds, when it knows without counting."""
        return None

    def index(self, field: str) -> ValueIndex | None:
        if field not in self.indexed or not self.has_field(field):
            return None
        if field not in self._indexes:
            self._indexes[field] = ValueIndex(self, field)
        return self._indexes[field]

    def stamped_id(self, key: str) -> int | None:
        """The record a stamp key (as `Catalog.touch` wrote it) belongs to, if one of this model."""
        return None

    def ids_of(self, products: list) -> Iterable[int]:
        """The records of these seeded products."""
        return ()

    indexes_false: frozenset[str] = frozenset()  # fields whose `candidates` also find the records where it is empty

    def candidates(self, field: str, values: list) -> Iterable[int] | None:
        """Ids that can match `field in values`, or None when the field is not indexed."""
        if field == "id":
            return [v for v in values if isinstance(v, int) and not isinstance(v, bool) and self.exists(v)]
        return None

    def _fields(self) -> dict[str, Callable[..., object]]:
        if self._getters is None:
            stored = self._stored_datetimes()
            read = {name: functools.partial(_read_datetime, get) for name, get in stored.items()}
            self._getters = {**self.fields(), **read}
        return self._getters

    def _stored_datetimes(self) -> dict[str, Callable[[int], datetime | None]]:
        if self._datetimes is None:
            self._datetimes = self.datetimes()
        return self._datetimes

    def has_field(self, field: str) -> bool:
        return field in self._fields()

    def field_names(self) -> list[str]:
        return list(self._fields())

    def is_datetime(self, field: str) -> bool:
        return field in self._stored_datetimes()

    def stored_datetime(self, record_id: int, field: str) -> datetime | None:
        """The value as the database holds it (naive UTC, microseconds), for domains and ordering."""
        value = self._stored_datetimes()[field](record_id)
        return naive_utc(value) if value else None

    def value(self, record_id: int, field: str, context: dict) -> object:
        getter = self._fields().get(field)
        if getter is None:
            raise OdooError("ValueError", f"Invalid field '{field}' on model '{self.name}'")
        if field == "qty_available":
            return getter(record_id, context)
        return getter(record_id)


class ProductCategory(Model):
    """Odoo's "All" (1) and "All / Saleable" (2), and the seed's categories (100 + n) under it."""

    name = "product.category"
    few = True
    relations = {"parent_id": "product.category"}
    ROOTS = {1: ("All", False), 2: ("Saleable", 1)}

    def all_ids(self):
        return itertools.chain(self.ROOTS, (100 + n for n in range(len(CATEGORIES))))

    def exists(self, record_id):
        return record_id in self.ROOTS or 0 <= record_id - 100 < len(CATEGORIES)

    def _name(self, record_id: int) -> str:
        return self.ROOTS[record_id][0] if record_id in self.ROOTS else CATEGORIES[record_id - 100]

    def _path(self, record_id: int) -> list[int]:
        return [1] if record_id == 1 else [1, 2] if record_id == 2 else [1, 2, record_id]

    def fields(self):
        complete = lambda i: " / ".join(self._name(c) for c in self._path(i))  # noqa: E731
        return {
            "id": lambda i: i,
            "name": self._name,
            "complete_name": complete,
            "display_name": complete,
            "parent_id": lambda i: False if i == 1 else [self._path(i)[-2], complete(self._path(i)[-2])],
            "parent_path": lambda i: "".join(f"{c}/" for c in self._path(i)),
        }


class ProductBrand(Model):
    """The OCA add-on `product_brand`'s model, common on retail installations (not on a stock Odoo)."""

    name = "product.brand"
    few = True

    def all_ids(self):
        return (500 + n for n in range(len(BRANDS)))

    def exists(self, record_id):
        return 0 <= record_id - 500 < len(BRANDS)

    def fields(self):
        return {"id": lambda i: i, "name": lambda i: BRANDS[i - 500]}


class ProductTemplate(Model):
    name = "product.template"
    x2many = {"product_variant_ids": "product.product"}
    x2many_inverse = {"product_variant_ids": "product_tmpl_id"}
    indexed = frozenset({"name", "default_code", "active", "sale_ok", "categ_id", "product_brand_id", "list_price"})

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        branded = "product_brand" in registry.addons
        self.relations = {"categ_id": "product.category", **({"product_brand_id": "product.brand"} if branded else {})}

    def all_ids(self):
        return (p.erp_id for p in self.catalog.products)

    def ordered_ids(self, descending):
        return (p.erp_id for p in (reversed(self.catalog.products) if descending else self.catalog.products))

    def size(self):
        return len(self.catalog.products)

    def exists(self, record_id):
        return record_id in self.catalog.by_erp_id

    def candidates(self, field, values):
        if field == "default_code" and all(isinstance(v, str) for v in values):
            by_sku = self.catalog.by_sku
            return [by_sku[v].erp_id for v in values if v in by_sku and by_sku[v].template_code == v]
        return super().candidates(field, values)

    def fields(self):
        p = self.catalog.by_erp_id.__getitem__
        return {
            "id": lambda i: i,
            "name": lambda i: p(i).erp_title,
            "display_name": lambda i: _display_name(p(i).template_code, p(i).erp_title),
            # Odoo computes it from the variant when there is one, and leaves it empty with several
            "default_code": lambda i: p(i).template_code or False,
            "barcode": lambda i: p(i).gtin or False,
            "list_price": lambda i: _float(p(i).list_price),
            "categ_id": lambda i: [100 + CATEGORY_IDS[p(i).category], f"All / Saleable / {p(i).category}"],
            **({"product_brand_id": lambda i: [500 + BRAND_IDS[p(i).brand], p(i).brand]}
               if "product_brand_id" in self.relations else {}),
            "description_sale": lambda i: p(i).description,
            "product_variant_ids": lambda i: [v.erp_id for v in p(i).variants],
            "active": lambda i: p(i).active,
            "sale_ok": lambda i: True,
            "qty_available": self._qty_available,
        }

    def datetimes(self):
        p = self.catalog.by_erp_id.__getitem__
        return {"write_date": lambda i: self.catalog.stamp("odoo", p(i).sku, p(i).updated_at)}

    stamped = True  # by product SKU

    def stamped_id(self, key: str) -> int | None:
        product = self.catalog.by_sku.get(key)
        return product.erp_id if product is not None else None

    def ids_of(self, products):
        return (p.erp_id for p in products)

    WRITABLE = {"name": "erp_title", "list_price": "list_price", "description_sale": "description", "active": "active"}

    def write(self, ids: list[int], vals: dict) -> bool:
        changes = _writable(self.name, self.WRITABLE, vals)
        if "list_price" in changes:
            changes["list_price"] = Decimal(str(changes["list_price"])).quantize(Decimal("0.01"))
        for record_id in _existing(self, ids):
            self.catalog.change("odoo", self.catalog.by_erp_id[record_id], **changes)
        return True

    def _qty_available(self, record_id: int, context: dict) -> float:
        locations = _context_locations(context)
        product = self.catalog.by_erp_id[record_id]
        return float(sum(self.catalog.stock(v.erp_id, loc)[0] for v in product.variants for loc in locations))


class ProductProduct(Model):
    name = "product.product"
    relations = {"product_tmpl_id": "product.template"}
    stamped = True  # as variant:<id>
    indexed = frozenset({"default_code", "active"})

    def stamped_id(self, key: str) -> int | None:
        return int(key[8:]) if key.startswith("variant:") else None

    def ids_of(self, products):
        return (v.erp_id for p in products for v in p.variants)

    def all_ids(self):
        return (v.erp_id for p in self.catalog.products for v in p.variants)

    def ordered_ids(self, descending):
        if descending:
            return (v.erp_id for p in reversed(self.catalog.products) for v in reversed(p.variants))
        return self.all_ids()

    def size(self):
        return len(self.catalog.variants_by_erp_id)

    def exists(self, record_id):
        return record_id in self.catalog.variants_by_erp_id

    def candidates(self, field, values):
        c = self.catalog
        if field == "default_code":
            return [c.variants_by_sku[v][1].erp_id for v in values if v in c.variants_by_sku]
        if field == "product_tmpl_id":
            return [v.erp_id for t in values if t in c.by_erp_id for v in c.by_erp_id[t].variants]
        if field == "barcode":
            index = self.registry.variant_by_gtin
            return [index[v] for v in values if v in index]
        return super().candidates(field, values)

    def fields(self):
        pv = self.catalog.variants_by_erp_id.__getitem__
        return {
            "id": lambda i: i,
            "default_code": lambda i: pv(i)[1].sku,
            "barcode": lambda i: pv(i)[1].gtin,
            "name": lambda i: pv(i)[0].erp_title,
            "display_name": lambda i: f"[{pv(i)[1].sku}] {pv(i)[0].erp_title} ({pv(i)[1].option_value})",
            "product_tmpl_id": lambda i: [pv(i)[0].erp_id, pv(i)[0].erp_title],
            "categ_id": lambda i: [100 + CATEGORY_IDS[pv(i)[0].category], f"All / Saleable / {pv(i)[0].category}"],
            "lst_price": lambda i: _float(pv(i)[1].list_price),
            "standard_price": lambda i: _float(cost_of(pv(i)[1].list_price)),
            "product_template_attribute_value_ids": lambda i: [pv(i)[1].option_value_id],
            "active": lambda i: pv(i)[0].active,
        }

    def datetimes(self):
        pv = self.catalog.variants_by_erp_id.__getitem__
        return {"write_date": lambda i: self.catalog.stamp("odoo", variant_key(i), pv(i)[0].updated_at)}

    def write(self, ids: list[int], vals: dict) -> bool:
        changes = _writable(self.name, {"barcode": "gtin"}, vals)
        for record_id in _existing(self, ids):
            before = self.catalog.variants_by_erp_id[record_id][1]
            after = self.catalog.change_variant("odoo", record_id, **changes)
            self.registry.variant_by_gtin.pop(before.gtin, None)
            self.registry.variant_by_gtin[after.gtin] = record_id
        return True


class AttributeValue(Model):
    name = "product.template.attribute.value"
    few = True
    VALUES = {1: ("Size", "S"), 2: ("Size", "M"), 3: ("Size", "L"), 4: ("Size", "One size")}

    def all_ids(self):
        return iter(self.VALUES)

    def exists(self, record_id):
        return record_id in self.VALUES

    def fields(self):
        v = self.VALUES.__getitem__
        return {
            "id": lambda i: i,
            "name": lambda i: v(i)[1],
            "attribute_id": lambda i: [1, v(i)[0]],
            "display_name": lambda i: f"{v(i)[0]}: {v(i)[1]}",
        }


class StockQuant(Model):
    """One quant per variant and warehouse stock location; id = variant id * 16 + warehouse id.

    A quant exists while it holds stock, a reservation or a count not yet applied: Odoo's
    `_quant_tasks` (`_unlink_zero_quants`, run by the scheduler and after transfers) deletes the
    others, so stock counted down to zero leaves no quant, and no `write_date`, behind."""

    name = "stock.quant"
    relations = {"product_id": "product.product", "location_id": "stock.location"}
    stamped = True  # as quant:<variant>:<warehouse>

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.counted: dict[int, float] = {}  # inventory_quantity set, not applied yet

    def stamped_id(self, key: str) -> int | None:
        if not key.startswith("quant:"):
            return None
        variant, warehouse = key[6:].split(":")
        return int(variant) * 16 + int(warehouse)

    def ids_of(self, products):
        return (v.erp_id * 16 + loc.warehouse_id for p in products for v in p.variants for loc in LOCATIONS
                if self._held(v.erp_id, loc))

    def _parts(self, record_id: int) -> tuple[int, SeedLocation]:
        variant_id, warehouse = divmod(record_id, 16)
        return variant_id, LOCATIONS[warehouse - 1]

    def _held(self, variant_id: int, location: SeedLocation) -> bool:
        return self.catalog.stock(variant_id, location) != (0, 0) or \
            variant_id * 16 + location.warehouse_id in self.counted

    def all_ids(self):
        return (v.erp_id * 16 + loc.warehouse_id for p in self.catalog.products for v in p.variants for loc in LOCATIONS
                if self._held(v.erp_id, loc))

    def exists(self, record_id):
        variant_id, warehouse = divmod(record_id, 16)
        return variant_id in self.catalog.variants_by_erp_id and 1 <= warehouse <= len(LOCATIONS) and \
            self._held(variant_id, LOCATIONS[warehouse - 1])

    def candidates(self, field, values):
        if field == "product_id":
            return [v * 16 + loc.warehouse_id for v in values if v in self.catalog.variants_by_erp_id
                    for loc in LOCATIONS if self._held(v, loc)]
        return super().candidates(field, values)

    def fields(self):
        pv = self.catalog.variants_by_erp_id.__getitem__
        stock = self.catalog.stock
        return {
            "id": lambda i: i,
            "product_id": lambda i: [i // 16, pv(i // 16)[0].erp_title],
            "product_tmpl_id": lambda i: [pv(i // 16)[0].erp_id, pv(i // 16)[0].erp_title],
            "location_id": lambda i: [self._parts(i)[1].stock_location_id, f"{self._parts(i)[1].code}/Stock"],
            "quantity": lambda i: float(stock(*self._parts(i))[0]),
            "reserved_quantity": lambda i: float(stock(*self._parts(i))[1]),
            "available_quantity": lambda i: float(stock(*self._parts(i))[0] - stock(*self._parts(i))[1]),
            "inventory_quantity": lambda i: self.counted.get(i, 0.0),
        }

    def datetimes(self):
        pv = self.catalog.variants_by_erp_id.__getitem__
        return {"write_date": lambda i: self.catalog.stamp("odoo", f"quant:{i // 16}:{i % 16}",
                                                           pv(i // 16)[0].updated_at)}

    def create(self, vals: dict, context: dict) -> int:
        """In inventory mode (the Physical Inventory screen), the quant of a product and location with
        its counted quantity: the existing one, or a new one where none is."""
        if not context.get("inventory_mode"):
            raise OdooError("odoo.exceptions.UserError", "Quant's creation is restricted, you can't do this operation.")
        location = self.catalog.locations_by_stock_location.get(vals.get("location_id"))  # type: ignore[arg-type]
        if vals.get("product_id") not in self.catalog.variants_by_erp_id or location is None:
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        record_id = vals["product_id"] * 16 + location.warehouse_id
        self.counted[record_id] = _counted(vals.get("inventory_quantity", 0))
        return record_id

    def write(self, ids: list[int], vals: dict) -> bool:
        """Only the counted quantity is writable; `action_apply_inventory` makes it the stock, as in Odoo."""
        counted = _counted(_writable(self.name, {"inventory_quantity": "inventory_quantity"}, vals)["inventory_quantity"])
        for record_id in _existing(self, ids):
            self.counted[record_id] = counted
        return True

    def action_apply_inventory(self, ids: list[int]) -> bool:
        """Each count becomes the stock through a done inventory move; a quant left empty is deleted."""
        moves: StockMove = self.registry.models["stock.move"]  # type: ignore[assignment]
        for record_id in _existing(self, ids):
            if record_id in self.counted:
                variant_id, location = self._parts(record_id)
                before = self.catalog.stock(variant_id, location)[0]
                after = int(self.counted.pop(record_id))
                self.catalog.set_stock(variant_id, location, after)
                if after != before:
                    moves.inventory(variant_id, location.stock_location_id, after - before)
        return True


def _counted(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise OdooError("odoo.exceptions.ValidationError", "The counted quantity must be a number >= 0")
    return float(value)


class StockMove(Model):
    """Done moves, as an inventory adjustment makes them: from or to Odoo's inventory loss location.
    Moves are never deleted, so they tell of stock that changed where the quant is gone."""

    name = "stock.move"
    relations = {"product_id": "product.product", "product_tmpl_id": "product.template",
                 "location_id": "stock.location", "location_dest_id": "stock.location"}
    ADJUSTMENT = [14, "Virtual Locations/Inventory adjustment"]

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.moves: dict[int, dict] = {}
        self._ids = itertools.count(1)

    def all_ids(self):
        return iter(list(self.moves))

    def exists(self, record_id):
        return record_id in self.moves

    def fields(self):
        names = ("product_id", "product_tmpl_id", "location_id", "location_dest_id", "product_uom_qty", "quantity",
                 "state", "is_inventory", "reference")
        return {"id": lambda i: i, **{n: (lambda i, n=n: self.moves[i][n]) for n in names}}

    def datetimes(self):
        return {"date": lambda i: self.moves[i]["date"], "write_date": lambda i: self.moves[i]["date"],
                "create_date": lambda i: self.moves[i]["date"]}

    def inventory(self, variant_id: int, stock_location_id: int, quantity: int) -> int:
        product, variant = self.catalog.variants_by_erp_id[variant_id]
        location = [stock_location_id, f"{self.catalog.locations_by_stock_location[stock_location_id].code}/Stock"]
        move_id = next(self._ids)
        self.moves[move_id] = {
            "product_id": [variant_id, f"[{variant.sku}] {product.erp_title}"],
            "product_tmpl_id": [product.erp_id, product.erp_title],
            "location_id": self.ADJUSTMENT if quantity > 0 else location,
            "location_dest_id": location if quantity > 0 else self.ADJUSTMENT,
            "product_uom_qty": float(abs(quantity)), "quantity": float(abs(quantity)), "state": "done",
            "is_inventory": True, "reference": "Product Quantity Updated", "date": self.catalog.clock()}
        return move_id


class StockLocation(Model):
    name = "stock.location"
    few = True

    def all_ids(self):
        return (loc.stock_location_id for loc in LOCATIONS)

    def exists(self, record_id):
        return record_id in self.catalog.locations_by_stock_location

    def fields(self):
        loc = self.catalog.locations_by_stock_location.__getitem__
        return {
            "id": lambda i: i,
            "name": lambda i: "Stock",
            "complete_name": lambda i: f"{loc(i).code}/Stock",
            "usage": lambda i: "internal",
            "warehouse_id": lambda i: [loc(i).warehouse_id, loc(i).name],
        }


class StockWarehouse(Model):
    name = "stock.warehouse"
    few = True
    _by_id = {loc.warehouse_id: loc for loc in LOCATIONS}

    def all_ids(self):
        return iter(self._by_id)

    def exists(self, record_id):
        return record_id in self._by_id

    def fields(self):
        w = self._by_id.__getitem__
        return {
            "id": lambda i: i,
            "name": lambda i: w(i).name,
            "code": lambda i: w(i).code,
            "lot_stock_id": lambda i: [w(i).stock_location_id, f"{w(i).code}/Stock"],
            "partner_id": lambda i: [w(i).partner_id, w(i).name],
        }


def _display_name(code: str | None, name: str) -> str:
    return f"[{code}] {name}" if code else name


CATEGORY_IDS = {name: n for n, name in enumerate(CATEGORIES)}


def cost_of(list_price: Decimal) -> Decimal:
    """A variant's cost (`standard_price`): 60 % of its sales price."""
    return (list_price * Decimal("0.6")).quantize(Decimal("0.01"))
BRAND_IDS = {name: n for n, name in enumerate(BRANDS)}


def _context_locations(context: dict) -> list[SeedLocation]:
    wanted = context.get("location")
    if not wanted:
        return list(LOCATIONS)
    ids = set(wanted if isinstance(wanted, list) else [wanted])
    return [loc for loc in LOCATIONS if loc.stock_location_id in ids]


def _writable(model: str, allowed: dict[str, str], vals: object) -> dict[str, object]:
    """`vals` renamed to the seed's fields; an unknown or read-only field is Odoo's ValueError."""
    if not isinstance(vals, dict) or not vals:
        raise OdooError("ValueError", "write takes a non-empty dict of values")
    unknown = sorted(set(vals) - set(allowed))
    if unknown:
        raise OdooError("ValueError", f"Invalid field {unknown[0]!r} on model {model!r} (or it is read-only)")
    return {allowed[name]: value for name, value in vals.items()}


def _existing(model: Model, ids: object) -> list[int]:
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise OdooError("ValueError", "ids must be a list of record ids")
    missing = [i for i in ids if not model.exists(i)]
    if missing:
        raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
    return ids


class Registry:
    """The models of one database. `version` is Odoo's ("19.0"): from 19 on, domains compare
    datetimes to the whole second, as they are read; before, to the microsecond, as they are stored.
    `models`: in order, a model may look up those before it (the pricelists build on the products).
    `addons`: the add-ons installed beside Odoo's own modules (`product_brand`). `indexed` False
    makes every search read every record, as the reference the indexed searches are tested against."""

    def __init__(self, catalog: Catalog, models: tuple[type[Model], ...], version: str,
                 addons: frozenset[str], indexed: bool = True) -> None:
        self.catalog = catalog
        self.indexed = indexed  # False: every search reads every record (the indexes' reference)
        self.version = version
        self.whole_seconds = int(version.split(".")[0]) >= 19
        self.addons = addons
        self.variant_by_gtin = {v.gtin: v.erp_id for p in catalog.products for v in p.variants}
        self.models: dict[str, Model] = {}
        for model in models:  # in order: a model may look up those before it
            if model is not ProductBrand or "product_brand" in addons:
                self.models[model.name] = model(self)

    def model(self, name: str) -> Model:
        try:
            return self.models[name]
        except KeyError:
            raise OdooError("KeyError", f"Object {name} doesn't exist", status=404) from None


PRODUCT_AND_STOCK_MODELS: tuple[type[Model], ...] = (
    ProductCategory, ProductBrand, ProductTemplate, ProductProduct, AttributeValue, StockQuant, StockMove,
    StockLocation, StockWarehouse)
