"""Odoo's contacts, countries and sales orders, as the gateway's checkout and order history use them.

- `res.partner`: the warehouses' addresses, the seeded customers, and the contacts `create` adds;
  `write` changes a customer's contact. `country_code` is read-only (related to
  `country_id.code`): Odoo stores nothing given for it, so a contact is given its country as
  `country_id`, a `res.country` id. This installation keeps marketing consent in a Studio field,
  `x_accepts_marketing` (a stock Odoo has none).
- `sale.order`: `create` makes a quotation (`draft`); `action_confirm` makes it a sales order and
  sets `date_order` to the confirmation's time, as Odoo's `_prepare_confirmation_values` does, so
  `create_date` alone says when an order was made; it reserves the lines' units at the order's
  warehouse, as a delivery type reserving at confirmation does (stock.move `_action_confirm` then
  `_action_assign`), so the quants' available quantity drops at once. A line with `display_type` (a section or a note)
  has no product.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal

from simulators.catalog import LOCATIONS, SeedLocation
from simulators.odoo_models import Model, OdooError, Registry, domain_datetime
from simulators.customer_history import erp_link, erp_phone
from simulators.order_history import order_history

MISSING = "Record does not exist or has been deleted."
# a few of Odoo's countries (base data: res.country), by id
COUNTRIES = {13: ("AT", "Austria"), 20: ("BE", "Belgium"), 43: ("CH", "Switzerland"), 57: ("DE", "Germany"),
             58: ("DK", "Denmark"), 68: ("ES", "Spain"), 75: ("FR", "France"), 110: ("IT", "Italy"),
             165: ("NL", "Netherlands"), 180: ("PL", "Poland"), 233: ("GB", "United Kingdom"),
             235: ("US", "United States")}
GERMANY = 57
CONSENT_FIELD = "x_accepts_marketing"  # a Studio field of this installation (a stock Odoo keeps no consent)
COUNTRY_IDS = {code: i for i, (code, _) in COUNTRIES.items()}
DEFAULT_WAREHOUSE = 1  # an order's warehouse when it names none: the company's first (sale.order's default)
SEEDED_PARTNERS_FROM = 10_000  # the seeded customers' contacts: this id plus the customer's index


class ResCountry(Model):
    name = "res.country"
    few = True

    def all_ids(self):
        return iter(COUNTRIES)

    def exists(self, record_id):
        return record_id in COUNTRIES

    def candidates(self, field, values):
        if field == "code":
            return [i for i, (code, _) in COUNTRIES.items() if code in values]
        return super().candidates(field, values)

    def fields(self):
        return {"id": lambda i: i, "code": lambda i: COUNTRIES[i][0], "name": lambda i: COUNTRIES[i][1]}


class ResPartner(Model):
    """The stores' and warehouses' addresses, and the customers that `create` adds: contacts, and
    their delivery addresses (`type` delivery, `parent_id` the contact)."""

    name = "res.partner"
    relations = {"parent_id": "res.partner", "country_id": "res.country"}
    _by_id = {loc.partner_id: loc for loc in LOCATIONS}
    CUSTOMER_FIELDS = ("name", "email", "ref", "street", "city", "zip", "country_id", "phone", "parent_id", "type",
                       CONSENT_FIELD)
    READ_ONLY = ("country_code",)  # related to country_id.code: given in create, it is not stored
    TYPES = ("contact", "invoice", "delivery", "other")

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.customers: dict[int, dict] = {
            SEEDED_PARTNERS_FROM + c.index: {"name": c.name, "email": c.email, "ref": c.ref,
                                             "phone": erp_phone(c) or False, "street": c.street, "city": c.city,
                                             "zip": c.zip, "country_id": COUNTRY_IDS[c.country_code],
                                             CONSENT_FIELD: c.accepts_marketing}
            for c in order_history(registry.catalog).customers}
        self._ids = itertools.count(SEEDED_PARTNERS_FROM + len(self.customers))

    def all_ids(self):
        return itertools.chain(self._by_id, list(self.customers))

    def exists(self, record_id):
        return record_id in self._by_id or record_id in self.customers

    def fields(self):
        def field(name: str, of_site: Callable[[SeedLocation], object]) -> Callable[[int], object]:
            return lambda i: self.customers[i].get(name, False) if i in self.customers else of_site(self._by_id[i])

        def country(i: int) -> int | None:
            found = self.customers[i].get("country_id") if i in self.customers else GERMANY
            return found if isinstance(found, int) else None

        return {
            "id": lambda i: i,
            "name": field("name", lambda w: w.name),
            "email": field("email", lambda w: False),
            "ref": field("ref", lambda w: False),
            "phone": field("phone", lambda w: False),
            "street": field("street", lambda w: w.street),
            "city": field("city", lambda w: w.city),
            "zip": field("zip", lambda w: w.zip),
            "country_id": lambda i: [c, COUNTRIES[c][1]] if (c := country(i)) else False,
            "country_code": lambda i: COUNTRIES[c][0] if (c := country(i)) else False,
            "type": lambda i: self.customers[i].get("type", "contact") if i in self.customers else "contact",
            CONSENT_FIELD: field(CONSENT_FIELD, lambda w: False),
            "parent_id": lambda i: self._parent(i),
            "partner_latitude": field("partner_latitude", lambda w: w.latitude),
            "partner_longitude": field("partner_longitude", lambda w: w.longitude),
        }

    def create(self, vals: dict, context: dict) -> int:
        if not vals.get("name"):
            raise OdooError("odoo.exceptions.ValidationError", "Contacts require a name")
        self._check(vals)
        partner_id = next(self._ids)
        self.customers[partner_id] = {k: vals[k] for k in self.CUSTOMER_FIELDS if k in vals}
        return partner_id

    def write(self, ids: object, vals: dict) -> bool:
        """Changes contacts (the seeded and created customers; the sites' addresses are not writable
        here). As Odoo: an unknown field is a ValueError, a contact's name cannot be emptied."""
        if not isinstance(vals, dict) or not vals:
            raise OdooError("ValueError", "write takes a non-empty dict of values")
        if not isinstance(ids, list) or not all(isinstance(i, int) and i in self.customers for i in ids):
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        self._check(vals)
        for record_id in ids:
            record = self.customers[record_id]
            if "name" in vals and not vals["name"] and record.get("type", "contact") == "contact":
                raise OdooError("odoo.exceptions.ValidationError", "Contacts require a name")
        for record_id in ids:
            self.customers[record_id].update({k: vals[k] for k in self.CUSTOMER_FIELDS if k in vals})
        return True

    def _check(self, vals: dict) -> None:
        if vals.get("type", "contact") not in self.TYPES:
            raise OdooError("ValueError", f"Wrong value for res.partner.type: {vals['type']!r}")
        if vals.get("parent_id") and not self.exists(vals["parent_id"]):
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        if vals.get("country_id") and vals["country_id"] not in COUNTRIES:
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        if CONSENT_FIELD in vals and not isinstance(vals[CONSENT_FIELD], bool):
            raise OdooError("ValueError", f"Wrong value for res.partner.{CONSENT_FIELD}: {vals[CONSENT_FIELD]!r}")
        unknown = sorted(set(vals) - {*self.CUSTOMER_FIELDS, *self.READ_ONLY})
        if unknown:
            raise OdooError("ValueError", f"Invalid field {unknown[0]!r} on model 'res.partner'")

    def discard(self, record_id: int) -> None:
        self.customers.pop(record_id, None)

    def _parent(self, record_id: int) -> list | bool:
        parent = self.customers.get(record_id, {}).get("parent_id")
        return [parent, self.value(parent, "name", {})] if parent else False


class SaleOrderLine(Model):
    """The lines of the orders `sale.order.create` made."""

    name = "sale.order.line"
    relations = {"order_id": "sale.order", "product_id": "product.product"}

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
        names = ("order_id", "product_id", "name", "display_type", "product_uom_qty", "price_unit", "price_subtotal")
        return {"id": lambda i: i, **{n: (lambda i, n=n: line(i)[n]) for n in names}}

    def add(self, values: dict) -> int:
        line_id = next(self._ids)
        self.lines[line_id] = values
        return line_id


class SaleOrder(Model):
    """The seeded history's orders (simulators/order_history.py: every channel's orders reach the ERP,
    confirmed), and those created through `create`; kept in memory for the simulator's lifetime.
    Their numbers come from a sequence that, like PostgreSQL's, a rolled-back `create` does not give back."""

    name = "sale.order"
    relations = {"partner_id": "res.partner", "partner_shipping_id": "res.partner"}
    SECTIONS = ("line_section", "line_note")

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.orders: dict[int, dict] = {}
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._seed()

    def _seed(self) -> None:
        partners, lines = self.registry.model("res.partner"), self.registry.model("sale.order.line")
        for seeded in order_history(self.catalog).orders:
            order_id, number = next(self._ids), f"S{next(self._numbers):05d}"
            partner = [SEEDED_PARTNERS_FROM + seeded.customer, partners.value(SEEDED_PARTNERS_FROM + seeded.customer,
                                                                               "name", {})]
            line_ids, total = [], Decimal(0)
            for line in seeded.lines:
                subtotal = line.quantity * line.unit_price
                total += subtotal
                line_ids.append(lines.add({  # type: ignore[attr-defined]
                    "order_id": [order_id, number], "product_id": [line.variant_erp_id, line.sku], "name": line.sku,
                    "display_type": False, "product_uom_qty": float(line.quantity),
                    "price_unit": float(line.unit_price), "price_subtotal": float(subtotal)}))
            self.orders[order_id] = {
                "name": number, "client_order_ref": erp_link(seeded) or False, "partner_id": partner, "partner_shipping_id": partner,
                "origin": f"commerce-gateway:{seeded.channel}", "currency_id": [125, "EUR"], "state": "sale",
                "amount_total": float(total), "date_order": seeded.created_at, "create_date": seeded.created_at,
                "write_date": seeded.created_at, "order_line": line_ids, "note": False, "warehouse_id": False}

    def all_ids(self):
        return iter(list(self.orders))

    def exists(self, record_id):
        return record_id in self.orders

    def fields(self):
        o = self.orders.__getitem__
        names = ("name", "client_order_ref", "partner_id", "partner_shipping_id", "state", "amount_total",
                 "order_line", "note", "warehouse_id", "origin", "currency_id")
        return {"id": lambda i: i, **{n: (lambda i, n=n: o(i).get(n, False)) for n in names}}

    def datetimes(self):
        o = self.orders.__getitem__
        return {"date_order": lambda i: o(i)["date_order"], "create_date": lambda i: o(i)["create_date"],
                "write_date": lambda i: o(i)["write_date"]}

    def create(self, vals: dict, context: dict) -> int:
        partners = self.registry.model("res.partner")
        if not vals.get("partner_id") or not partners.exists(vals["partner_id"]):
            raise OdooError("odoo.exceptions.ValidationError", "The field 'Customer' (partner_id) is required")
        shipping = vals.get("partner_shipping_id") or vals["partner_id"]
        if not partners.exists(shipping):
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        warehouse = vals.get("warehouse_id")
        if warehouse and not self.registry.model("stock.warehouse").exists(warehouse):
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        order_id, number = next(self._ids), f"S{next(self._numbers):05d}"
        lines, total = [], Decimal(0)
        for command in vals.get("order_line", []):
            if not (isinstance(command, list) and len(command) == 3 and command[0] == 0):
                raise OdooError("ValueError", "order_line takes (0, 0, values) commands")
            line = self._line(command[2])
            total += Decimal(str(line["price_subtotal"]))
            lines.append(self.registry.model("sale.order.line").add(  # type: ignore[attr-defined]
                {"order_id": [order_id, number], **line}))
        now = self.catalog.clock()
        self.orders[order_id] = {
            "name": number,
            "client_order_ref": vals.get("client_order_ref", False),
            "partner_id": [vals["partner_id"], partners.value(vals["partner_id"], "name", {})],
            "partner_shipping_id": [shipping, partners.value(shipping, "name", {})],
            "origin": vals.get("origin", False),
            "currency_id": [125, "EUR"],
            "state": "draft",
            "amount_total": float(total),
            "date_order": domain_datetime(vals["date_order"]) if vals.get("date_order") else now,
            "create_date": now,
            "write_date": now,
            "order_line": lines,
            "note": vals.get("note", False),
            "warehouse_id": [warehouse, "Warehouse"] if warehouse else False,
        }
        return order_id

    def _line(self, values: dict) -> dict:
        if values.get("display_type"):
            if values["display_type"] not in self.SECTIONS or not values.get("name"):
                raise OdooError("odoo.exceptions.ValidationError", "A section or note line takes a name and no product")
            return {"product_id": False, "name": values["name"], "display_type": values["display_type"],
                    "product_uom_qty": 0.0, "price_unit": 0.0, "price_subtotal": 0.0}
        found = self.catalog.variants_by_erp_id.get(values.get("product_id"))  # type: ignore[arg-type]
        if found is None:
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        variant = found[1]
        qty = Decimal(str(values.get("product_uom_qty", 1)))
        price = Decimal(str(values.get("price_unit", variant.list_price)))
        return {"product_id": [variant.erp_id, variant.sku], "name": variant.sku, "display_type": False,
                "product_uom_qty": float(qty), "price_unit": float(price), "price_subtotal": float(qty * price)}

    def action_confirm(self, ids: list[int]) -> bool:
        """Quotations become sales orders, dated now (Odoo resets `date_order` on confirmation). Their
        delivery moves are confirmed and, as the delivery type reserves at confirmation (Odoo's default
        `reservation_method`), reserved at once: what the warehouse has of each line, up to its
        quantity, is added to its quant's `reserved_quantity` (a shortfall waits, unreserved)."""
        orders = [self.orders[i] for i in ids if isinstance(i, int) and i in self.orders]
        if len(orders) != len(ids):
            raise OdooError("odoo.exceptions.MissingError", MISSING)
        if any(o["state"] not in ("draft", "sent") for o in orders):
            raise OdooError("odoo.exceptions.UserError", "Some orders are not in a state requiring confirmation.")
        now = self.catalog.clock()
        lines = self.registry.model("sale.order.line").lines  # type: ignore[attr-defined]
        for order in orders:
            order.update(state="sale", date_order=now, write_date=now)
            warehouse = order["warehouse_id"][0] if order["warehouse_id"] else DEFAULT_WAREHOUSE
            for line_id in order["order_line"]:
                line = lines[line_id]
                if line["product_id"]:
                    self.catalog.reserve(line["product_id"][0], LOCATIONS[warehouse - 1], int(line["product_uom_qty"]))
        return True

    def discard(self, record_id: int) -> None:
        lines = self.registry.model("sale.order.line").lines  # type: ignore[attr-defined]
        for line_id in self.orders.pop(record_id, {}).get("order_line", ()):
            lines.pop(line_id, None)


SALES_MODELS: tuple[type[Model], ...] = (ResCountry, ResPartner, SaleOrderLine, SaleOrder)  # in order: the seeded orders' lines go first
