"""The handful of Odoo models the gateway reads, computed on demand from the seeded catalog.

Records are never materialised in bulk: a model answers `value(id, field)` and
narrows candidates from indexed domain terms, so a 100,000-product catalog stays
cheap to search. Many2one values are `[id, display_name]`, as Odoo returns them.
"""

from __future__ import annotations

import functools
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal

from simulators.catalog import (
    BRANDS,
    CATEGORIES,
    LOCATIONS,
    Catalog,
    SeedLocation,
)

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"


class OdooError(Exception):
    """Raised for what Odoo reports as a server error; `name` is the exception class Odoo names."""

    def __init__(self, name: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


@functools.lru_cache(maxsize=200_000)  # seeded times repeat on every read
def _dt(value: datetime) -> str:
    return value.astimezone(UTC).strftime(ODOO_DATETIME)


def _float(value: Decimal) -> float:
    return float(value)


class Model(ABC):
    name = ""
    relations: dict[str, str] = {}

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.catalog = registry.catalog
        self._getters: dict[str, Callable[..., object]] | None = None

    @abstractmethod
    def all_ids(self) -> Iterable[int]: ...

    @abstractmethod
    def exists(self, record_id: int) -> bool: ...

    @abstractmethod
    def fields(self) -> dict[str, Callable[..., object]]: ...

    def written_since(self, floor: str) -> list[int] | None:
        """Ids whose `write_date` can be at or after `floor`, or None when the model cannot tell:
        the records of products seeded that late, and those a write stamped since."""
        if not self.stamped or floor < _dt(self.catalog.seeded_until):
            return None
        late = [p for p in self.catalog.products if _dt(p.updated_at) >= floor]
        keys = [key for backend, key in self.catalog.stamps if backend == "odoo"]
        return sorted({*self.ids_of(late), *(i for i in map(self.stamped_id, keys) if i is not None)})

    stamped = False  # True where `stamped_id` and `ids_of` map stamps and products to this model's records

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
            self._getters = self.fields()
        return self._getters

    def has_field(self, field: str) -> bool:
        return field in self._fields()

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
    """The OCA `product_brand` module's model, common on retail installations."""

    name = "product.brand"

    def all_ids(self):
        return (500 + n for n in range(len(BRANDS)))

    def exists(self, record_id):
        return 0 <= record_id - 500 < len(BRANDS)

    def fields(self):
        return {"id": lambda i: i, "name": lambda i: BRANDS[i - 500]}


class ProductTemplate(Model):
    name = "product.template"
    relations = {"categ_id": "product.category", "product_brand_id": "product.brand"}

    def all_ids(self):
        return (p.erp_id for p in self.catalog.products)

    def exists(self, record_id):
        return record_id in self.catalog.by_erp_id

    def candidates(self, field, values):
        if field == "default_code":
            return [self.catalog.by_sku[v].erp_id for v in values if v in self.catalog.by_sku]
        return super().candidates(field, values)

    def fields(self):
        p = self.catalog.by_erp_id.__getitem__
        return {
            "id": lambda i: i,
            "name": lambda i: p(i).erp_title,
            "display_name": lambda i: f"[{p(i).sku}] {p(i).erp_title}",
            "default_code": lambda i: p(i).sku,
            "barcode": lambda i: p(i).gtin or False,
            "list_price": lambda i: _float(p(i).list_price),
            "categ_id": lambda i: [100 + CATEGORY_IDS[p(i).category], f"All / Saleable / {p(i).category}"],
            "product_brand_id": lambda i: [500 + BRAND_IDS[p(i).brand], p(i).brand],
            "description_sale": lambda i: p(i).description,
            "write_date": lambda i: _dt(self.catalog.stamp("odoo", p(i).sku, p(i).updated_at)),
            "product_variant_ids": lambda i: [v.erp_id for v in p(i).variants],
            "active": lambda i: p(i).active,
            "sale_ok": lambda i: True,
            "qty_available": self._qty_available,
        }

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
    stamped = True  # by variant SKU

    def stamped_id(self, key: str) -> int | None:
        found = self.catalog.variants_by_sku.get(key)
        return found[1].erp_id if found is not None else None

    def ids_of(self, products):
        return (v.erp_id for p in products for v in p.variants)

    def all_ids(self):
        return (v.erp_id for p in self.catalog.products for v in p.variants)

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
            "write_date": lambda i: _dt(self.catalog.stamp("odoo", pv(i)[1].sku, pv(i)[0].updated_at)),
            "active": lambda i: pv(i)[0].active,
        }

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
    """One quant per variant and warehouse stock location; id = variant id * 16 + warehouse id."""

    name = "stock.quant"
    relations = {"product_id": "product.product", "location_id": "stock.location"}
    stamped = True  # as quant:<variant>:<warehouse>

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

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.counted: dict[int, float] = {}  # inventory_quantity set, not applied yet

    def _held(self, variant_id: int, location: SeedLocation) -> bool:
        """A quant exists where stock is, and stays (at zero) once its stock was counted."""
        return self.catalog.stock(variant_id, location)[0] > 0 or (variant_id, location.warehouse_id) in \
            self.catalog.stock_edits

    def all_ids(self):
        return (v.erp_id * 16 + loc.warehouse_id for p in self.catalog.products for v in p.variants for loc in LOCATIONS
                if self._held(v.erp_id, loc))

    def exists(self, record_id):
        variant_id, warehouse = divmod(record_id, 16)
        return variant_id in self.catalog.variants_by_erp_id and 1 <= warehouse <= len(LOCATIONS)

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
            "write_date": lambda i: _dt(self.catalog.stamp("odoo", f"quant:{i // 16}:{i % 16}", pv(i // 16)[0].updated_at)),
        }

    def write(self, ids: list[int], vals: dict) -> bool:
        """Only the counted quantity is writable; `action_apply_inventory` makes it the stock, as in Odoo."""
        counted = _writable(self.name, {"inventory_quantity": "inventory_quantity"}, vals)["inventory_quantity"]
        if not isinstance(counted, int | float) or counted < 0:
            raise OdooError("odoo.exceptions.ValidationError", "The counted quantity must be a number >= 0")
        for record_id in _existing(self, ids):
            self.counted[record_id] = float(counted)
        return True

    def action_apply_inventory(self, ids: list[int]) -> bool:
        for record_id in _existing(self, ids):
            if record_id in self.counted:
                self.catalog.set_stock(*self._parts(record_id), int(self.counted.pop(record_id)))
        return True


class StockLocation(Model):
    name = "stock.location"

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


class ResPartner(Model):
    """The stores' and warehouses' addresses, and the customers that `create` adds: contacts, and
    their delivery addresses (`type` delivery, `parent_id` the contact)."""

    name = "res.partner"
    relations = {"parent_id": "res.partner"}
    _by_id = {loc.partner_id: loc for loc in LOCATIONS}
    CUSTOMER_FIELDS = ("name", "email", "ref", "street", "city", "zip", "country_code", "phone", "parent_id", "type")
    TYPES = ("contact", "invoice", "delivery", "other")

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.customers: dict[int, dict] = {}
        self._ids = itertools.count(10_000)

    def all_ids(self):
        return itertools.chain(self._by_id, list(self.customers))

    def exists(self, record_id):
        return record_id in self._by_id or record_id in self.customers

    def fields(self):
        def field(name: str, of_site: Callable[[SeedLocation], object]) -> Callable[[int], object]:
            return lambda i: self.customers[i].get(name, False) if i in self.customers else of_site(self._by_id[i])

        return {
            "id": lambda i: i,
            "name": field("name", lambda w: w.name),
            "email": field("email", lambda w: False),
            "ref": field("ref", lambda w: False),
            "phone": field("phone", lambda w: False),
            "street": field("street", lambda w: w.street),
            "city": field("city", lambda w: w.city),
            "zip": field("zip", lambda w: w.zip),
            "country_id": lambda i: [57, "Germany"],
            "country_code": field("country_code", lambda w: "DE"),
            "type": lambda i: self.customers[i].get("type", "contact") if i in self.customers else "contact",
            "parent_id": lambda i: self._parent(i),
            "partner_latitude": field("partner_latitude", lambda w: w.latitude),
            "partner_longitude": field("partner_longitude", lambda w: w.longitude),
        }

    def create(self, vals: dict) -> int:
        if not vals.get("name"):
            raise OdooError("odoo.exceptions.ValidationError", "Contacts require a name")
        if vals.get("type", "contact") not in self.TYPES:
            raise OdooError("ValueError", f"Wrong value for res.partner.type: {vals['type']!r}")
        if vals.get("parent_id") and not self.exists(vals["parent_id"]):
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        partner_id = next(self._ids)
        self.customers[partner_id] = {k: vals[k] for k in self.CUSTOMER_FIELDS if k in vals}
        return partner_id

    def _parent(self, record_id: int) -> list | bool:
        parent = self.customers.get(record_id, {}).get("parent_id")
        return [parent, self.value(parent, "name", {})] if parent else False


class SaleOrderLine(Model):
    """The lines of the orders `sale.order.create` made."""

    name = "sale.order.line"
    relations = {"order_id": "sale.order"}

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.lines: dict[int, dict] = {}
        self._ids = itertools.count(1)

    def all_ids(self):
        return iter(list(self.lines))

    def exists(self, record_id):
        return record_id in self.lines

    def fields(self):
        line = self.lines.__getitem__
        names = ("order_id", "product_id", "name", "product_uom_qty", "price_unit", "price_subtotal")
        return {"id": lambda i: i, **{n: (lambda i, n=n: line(i)[n]) for n in names}}

    def add(self, values: dict) -> int:
        line_id = next(self._ids)
        self.lines[line_id] = values
        return line_id


class SaleOrder(Model):
    """Orders created through `create`; kept in memory for the simulator's lifetime."""

    name = "sale.order"
    relations = {"partner_id": "res.partner", "partner_shipping_id": "res.partner"}

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.orders: dict[int, dict] = {}
        self._ids = itertools.count(1)

    def all_ids(self):
        return iter(list(self.orders))

    def exists(self, record_id):
        return record_id in self.orders

    def fields(self):
        o = self.orders.__getitem__
        names = ("name", "client_order_ref", "partner_id", "partner_shipping_id", "state", "amount_total", "date_order",
                 "order_line", "note", "warehouse_id", "origin", "currency_id")
        return {"id": lambda i: i, **{n: (lambda i, n=n: o(i).get(n, False)) for n in names}}

    def create(self, vals: dict) -> int:
        partners = self.registry.model("res.partner")
        if not vals.get("partner_id") or not partners.exists(vals["partner_id"]):
            raise OdooError("odoo.exceptions.ValidationError", "The field 'Customer' (partner_id) is required")
        shipping = vals.get("partner_shipping_id") or vals["partner_id"]
        if not partners.exists(shipping):
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        warehouse = vals.get("warehouse_id")
        if warehouse and not self.registry.model("stock.warehouse").exists(warehouse):
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        order_id = next(self._ids)
        lines = []
        total = Decimal(0)
        for command in vals.get("order_line", []):
            if not (isinstance(command, list) and len(command) == 3 and command[0] == 0):
                raise OdooError("ValueError", "order_line takes (0, 0, values) commands")
            line = command[2]
            found = self.catalog.variants_by_erp_id.get(line.get("product_id"))
            if found is None:
                raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
            qty = Decimal(str(line.get("product_uom_qty", 1)))
            price = Decimal(str(line.get("price_unit", found[1].list_price)))
            total += qty * price
            variant = found[1]
            lines.append(self.registry.model("sale.order.line").add({  # type: ignore[attr-defined]
                "order_id": [order_id, f"S{order_id:05d}"], "product_id": [variant.erp_id, variant.sku],
                "name": variant.sku, "product_uom_qty": float(qty), "price_unit": float(price),
                "price_subtotal": float(qty * price)}))
        partner_name = partners.value(vals["partner_id"], "name", {})
        self.orders[order_id] = {
            "name": f"S{order_id:05d}",
            "client_order_ref": vals.get("client_order_ref", False),
            "partner_id": [vals["partner_id"], partner_name],
            "partner_shipping_id": [shipping, partners.value(shipping, "name", {})],
            "origin": vals.get("origin", False),
            "currency_id": [125, "EUR"],
            "state": "sale",
            "amount_total": float(total),
            "date_order": _dt(datetime.now(UTC)),
            "order_line": lines,
            "note": vals.get("note", False),
            "warehouse_id": [warehouse, "Warehouse"] if warehouse else False,
        }
        return order_id


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
    MODELS = (ProductCategory, ProductBrand, ProductTemplate, ProductProduct, AttributeValue, StockQuant, StockLocation,
              StockWarehouse, ResPartner, SaleOrder, SaleOrderLine)

    def __init__(self, catalog: Catalog, more: tuple[type[Model], ...] = ()) -> None:
        """`more`: models of other modules (the pricelists), which build on this one's."""
        self.catalog = catalog
        self.variant_by_gtin = {v.gtin: v.erp_id for p in catalog.products for v in p.variants}
        self.models: dict[str, Model] = {}
        models: tuple[type[Model], ...] = (*self.MODELS, *more)
        for model in models:  # in order: a model may look up those before it
            self.models[model.name] = model(self)

    def model(self, name: str) -> Model:
        try:
            return self.models[name]
        except KeyError:
            raise OdooError("KeyError", f"Object {name} doesn't exist", status=404) from None
