"""The simulators' seeded order history: the same in every process, with the structure the
recommendations and the order history rely on."""

from __future__ import annotations

from collections import Counter

from simulators.catalog import Catalog
from simulators.odoo_sales import SEEDED_PARTNERS_FROM
from simulators.order_history import _build, companion_of, order_history
from simulators.odoo_models import Registry
from simulators.odoo_sales import SALES_MODELS


def test_the_history_is_the_same_for_the_same_seed_and_sized_by_the_catalog():
    # given two catalogs of the same seed
    first, second = _build(Catalog(200)), _build(Catalog(200))
    # then they hold the same customers and orders, in time order
    assert first == second
    assert len(first.orders) == 600 and len(first.customers) == 100
    assert [o.created_at for o in first.orders] == sorted(o.created_at for o in first.orders)
    assert {o.channel for o in first.orders} == {"WEB", "APP", "STORE", "CALL_CENTER"}


def test_a_product_is_bought_with_its_companion_in_most_of_the_orders_it_anchors():
    # given the default catalog's history
    catalog = Catalog()
    history = order_history(catalog)
    # when the orders of each product are counted, and those that hold its companion too
    holding, with_companion = Counter(), Counter()
    for order in history.orders:
        indexes = {catalog.variants_by_erp_id[line.variant_erp_id][0].index for line in order.lines}
        for index in indexes:
            holding[index] += 1
            if (companion := companion_of(catalog, catalog.products[index])) and companion.index in indexes:
                with_companion[index] += 1
    # then across the catalog, most orders of a product hold its companion, and no other product comes close
    assert sum(with_companion.values()) / sum(holding.values()) > 0.6
    busiest = holding.most_common(1)[0][0]
    together = Counter(catalog.variants_by_erp_id[line.variant_erp_id][0].index
                       for order in history.orders for line in order.lines
                       if busiest in {catalog.variants_by_erp_id[x.variant_erp_id][0].index for x in order.lines})
    del together[busiest]
    assert together.most_common(1)[0][0] == busiest ^ 1


def test_the_erp_holds_every_seeded_order_as_a_confirmed_sale_of_its_customer():
    # given the ERP simulator's sales models over a small catalog
    catalog = Catalog(100)
    registry = Registry(catalog, SALES_MODELS, "19.0", frozenset())
    history = order_history(catalog)
    orders = registry.model("sale.order").orders  # type: ignore[attr-defined]
    # then every seeded order is there, confirmed, on its customer's contact (found by the customer id)
    assert len(orders) == len(history.orders)
    first = history.orders[0]
    stored = orders[1]
    partner = SEEDED_PARTNERS_FROM + first.customer
    assert stored["state"] == "sale" and stored["partner_id"][0] == partner
    assert registry.model("res.partner").value(partner, "ref", {}) == history.customers[first.customer].ref
    assert stored["amount_total"] == float(sum(line.quantity * line.unit_price for line in first.lines))
