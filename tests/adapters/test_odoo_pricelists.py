"""Odoo pricelist rules of every kind over both transports, against the ERP simulator: the seeded
store rules (fixed variant prices, a category formula, a global percentage), rules made through the
API on pricelists of the test's own, and the feed of a pricelist's changes. The module has its own
catalog and simulators (its rules would reprice others' tests), stamped with a clock it moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import httpx
import pytest

from domain.errors import BackendError
from gateway.settings import load_settings
from gateway.wiring import wire_backends
from simulators.catalog import Catalog, SeedProduct
from simulators.odoo_models import cost_of
from tests.clock import MovingClock
from tests.conftest import gateway_environ, running_simulators

ODOO = {"Authorization": "bearer odoo-demo-key"}
ITEM = "product.pricelist.item"
STORE = 2


@pytest.fixture(scope="module")
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(scope="module")
def world(clock) -> Iterator[tuple[Catalog, dict]]:
    catalog = Catalog(60, clock=clock)
    with running_simulators(catalog) as running:
        yield catalog, running


@pytest.fixture(params=["json2", "jsonrpc"])
async def erp(request, world, mongo_url, clock) -> AsyncIterator:
    settings = load_settings(environ=gateway_environ(world[1], mongo_url, CGW_BACKENDS__ODOO__TRANSPORT=request.param))
    wired = wire_backends(settings, clock=clock)
    yield wired.backends.erp
    await wired.aclose()


def odoo(world, model: str, method: str, **body) -> object:
    response = httpx.post(f"{world[1]['odoo'].url}/json/2/{model}/{method}", json=body, headers=ODOO)
    response.raise_for_status()
    return response.json()


def pricelist(world, name: str, **vals) -> int:
    return odoo(world, "product.pricelist", "create", vals_list=[{"name": name, **vals}])[0]


def rule(world, pricelist_id: int, **vals) -> int:
    return odoo(world, ITEM, "create", vals_list=[{"pricelist_id": pricelist_id, **vals}])[0]


def cents(amount: D) -> D:
    return amount.quantize(D("0.01"), ROUND_HALF_UP)


async def prices(erp, pricelist_id: int, product: SeedProduct) -> dict[str, D]:
    found = {e.variant_erp_id: e.price for e in await erp.price_list_entries(pricelist_id, [v.erp_id for v in
                                                                                              product.variants])}
    return {v.sku: found[v.erp_id] for v in product.variants if v.erp_id in found}


async def test_the_store_prices_what_it_does_not_fix_by_its_category_and_global_rules(erp, world):
    catalog, _ = world
    fixed = next(p for p in catalog.products if p.store_price is not None)
    knit = next(p for p in catalog.products if p.store_price is None and p.category == "Knitwear")
    other = next(p for p in catalog.products if p.store_price is None and p.category != "Knitwear")
    # a fixed variant price first
    assert await prices(erp, STORE, fixed) == {fixed.variants[0].sku: fixed.store_price, **{
        v.sku: fixed.store_price + v.list_price - fixed.list_price for v in fixed.variants[1:]}}
    # knitwear: 15 % off, rounded to a whole euro, less a cent
    assert await prices(erp, STORE, knit) == {
        v.sku: (v.list_price * D("0.85")).quantize(D(1), ROUND_HALF_UP) - D("0.01") for v in knit.variants}
    # everything else: 3 % off
    assert await prices(erp, STORE, other) == {v.sku: cents(v.list_price * D("0.97")) for v in other.variants}


async def test_a_template_rule_prices_each_of_its_variants(erp, world):
    catalog, _ = world
    sized = next(p for p in catalog.products if len(p.variants) > 1)
    own = pricelist(world, "Template rules")
    rule(world, own, product_tmpl_id=sized.erp_id, compute_price="formula", price_discount=10, price_surcharge=-1)
    assert await prices(erp, own, sized) == {v.sku: cents(v.list_price * D("0.9") - 1) for v in sized.variants}


async def test_a_rule_can_start_from_another_pricelist_or_from_the_cost(erp, world):
    catalog, _ = world
    product = catalog.products[11]
    variant = product.variants[0]
    # 20 % off every saleable product on one pricelist, and 10 % off that on another
    base, derived = pricelist(world, "Base"), pricelist(world, "Derived")
    rule(world, base, categ_id=2, compute_price="percentage", percent_price=20)
    rule(world, derived, compute_price="formula", base="pricelist", base_pricelist_id=base, price_discount=10)
    assert (await prices(erp, derived, product))[variant.sku] == cents(variant.list_price * D("0.8") * D("0.9"))
    # a 50 % markup on the cost (18.0's price_markup, minus price_discount)
    on_cost = pricelist(world, "Cost plus")
    rule(world, on_cost, compute_price="formula", base="standard_price", price_markup=50)
    assert (await prices(erp, on_cost, product))[variant.sku] == cents(cost_of(variant.list_price) * D("1.5"))


async def test_dates_follow_the_clock_and_a_quantity_break_is_not_the_catalog_price(erp, world, clock):
    catalog, _ = world
    product = catalog.products[13]
    dated = pricelist(world, "Dated")
    starts = clock() + timedelta(hours=1)
    rule(world, dated, compute_price="fixed", fixed_price=2, min_quantity=10)
    rule(world, dated, compute_price="fixed", fixed_price=1, date_start=starts.strftime("%Y-%m-%d %H:%M:%S"),
         date_end=(starts + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"))
    assert await prices(erp, dated, product) == {}
    clock.advance(3600)
    assert set((await prices(erp, dated, product)).values()) == {D(1)}
    clock.advance(86_400 + 1)
    assert await prices(erp, dated, product) == {}


async def test_pricelists_in_two_currencies_are_refused_not_converted(erp, world):
    catalog, _ = world
    dollars = pricelist(world, "Dollars", currency_id=2)
    rule(world, dollars, compute_price="percentage", percent_price=5)
    euros = pricelist(world, "Euros on dollars")
    rule(world, euros, compute_price="formula", base="pricelist", base_pricelist_id=dollars)
    with pytest.raises(BackendError, match="USD"):
        await erp.price_list_entries(euros, [catalog.products[0].variants[0].erp_id])


async def test_the_feed_reads_rules_of_every_kind_and_moves_past_them(erp, world, clock):
    catalog, _ = world
    product = catalog.products[17]
    own = pricelist(world, "Fed")
    clock.advance(1)
    every = [rule(world, own, compute_price="percentage", percent_price=1),
             rule(world, own, categ_id=100, compute_price="percentage", percent_price=2)]
    one = rule(world, own, product_id=product.variants[0].erp_id, fixed_price=3)
    # when the feed is read from the beginning
    changes = await erp.price_list_changes(own, None, clock(), 10)
    # then a global or category rule may change any product's price; a variant's rule, its product's
    assert [(c.key, c.every_product, c.product_erp_id) for c in changes] == [
        (every[0], True, None), (every[1], True, None), (one, False, product.erp_id)]
    assert await erp.price_list_changes(own, changes[-1].mark, clock(), 10) == []
    # and the store's own feed reads its seeded rules past the global one
    seeded = await erp.price_list_changes(STORE, None, clock(), 1000)
    assert sum(c.every_product for c in seeded) == 2 and any(c.product_erp_id for c in seeded)


async def test_the_feed_follows_the_pricelists_a_pricelist_starts_from(erp, world, clock):
    catalog, _ = world
    product = catalog.products[19]
    base, derived = pricelist(world, "Followed base"), pricelist(world, "Following")
    rule(world, derived, compute_price="formula", base="pricelist", base_pricelist_id=base, price_discount=5)
    clock.advance(1)
    mark = (await erp.price_list_changes(derived, None, clock(), 10))[-1].mark
    clock.advance(1)
    # when the base pricelist gets a rule for one product
    rule(world, base, product_tmpl_id=product.erp_id, fixed_price=40)
    # then the derived pricelist's feed reports that product
    changes = await erp.price_list_changes(derived, mark, clock(), 10)
    assert [(c.product_erp_id, c.every_product) for c in changes] == [(product.erp_id, False)]
    assert set((await prices(erp, derived, product)).values()) == {D(38)}
