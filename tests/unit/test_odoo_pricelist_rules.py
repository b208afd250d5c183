"""Odoo's pricelist computation (adapters/odoo/pricelist_rules.py), each figure worked by hand from
Odoo 17–19's `_compute_price_rule`, `_is_applicable_for` and `_compute_price`."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from adapters.odoo.pricelist_rules import (
    MAX_CHAIN,
    PricelistRule,
    RuledProduct,
    in_odoo_order,
    price,
    round_to_multiple,
)
from domain.errors import BackendError

ONE = D(1)
# a variant (7) of template 70, in category 106 under 2 under 1, sold at 100.99, costing 30
JACKET = RuledProduct(variant_id=7, template_id=70, category_path=(1, 2, 106), list_price=D("100.99"), cost=D(30))


def rule(rule_id: int, pricelist_id: int = 2, **fields) -> PricelistRule:
    return PricelistRule(id=rule_id, pricelist_id=pricelist_id, **fields)


def priced(rules: list[PricelistRule], product: RuledProduct = JACKET, quantity: D = ONE, pricelist_id: int = 2):
    by_list: dict[int, list[PricelistRule]] = {}
    for r in rules:
        by_list.setdefault(r.pricelist_id, []).append(r)
    return price(pricelist_id, product, quantity, {p: in_odoo_order(rs) for p, rs in by_list.items()})


def test_no_rule_is_the_sales_price():
    assert priced([]) == (D("100.99"), None)


def test_a_percentage_off_the_sales_price_to_the_cent():
    # 100.99 - 100.99 * 3 / 100 = 97.9603
    amount, used = priced([rule(1, applied_on="3_global", compute_price="percentage", percent_price=D(3))])
    assert amount == D("97.96") and used.id == 1


def test_halves_of_a_cent_go_up():
    # 10.05 * 50 % = 5.025 -> 5.03 (Odoo's float_round, HALF-UP)
    cheap = RuledProduct(8, 80, (1,), D("10.05"))
    assert priced([rule(1, applied_on="3_global", compute_price="percentage", percent_price=D(50))], cheap)[0] == \
        D("5.03")


def test_a_formula_discounts_rounds_then_adds_the_surcharge():
    # 79.99 - 15 % = 67.9915; a multiple of 1.00: 68; less 0.01: 67.99
    knit = RuledProduct(9, 90, (1, 2, 106), D("79.99"))
    formula = rule(1, applied_on="2_product_category", category_id=106, compute_price="formula",
                   price_discount=D(15), price_round=D(1), price_surcharge=D("-0.01"))
    assert priced([formula], knit)[0] == D("67.99")
    # 19.99 - 10 % = 17.991; a multiple of 0.05: 359.82 of them -> 360 -> 18.00; less 0.01: 17.99
    nickel = rule(2, applied_on="3_global", compute_price="formula", price_discount=D(10), price_round=D("0.05"),
                  price_surcharge=D("-0.01"))
    assert priced([nickel], RuledProduct(9, 90, (1,), D("19.99")))[0] == D("17.99")


def test_margins_keep_a_formula_within_reach_of_its_base():
    # on the cost (30) with a 50 % markup (price_discount -50): 45
    markup = dict(applied_on="3_global", compute_price="formula", base="standard_price", price_discount=D(-50))
    assert priced([rule(1, **markup)])[0] == D(45)
    # at least 20 over the base: max(45, 30 + 20) = 50
    assert priced([rule(1, **markup, price_min_margin=D(20), price_max_margin=D(25))])[0] == D(50)
    # at most 12 over the base: min(45, 30 + 12) = 42
    assert priced([rule(1, **markup, price_max_margin=D(12))])[0] == D(42)


def test_a_percentage_can_start_from_the_cost():
    # 30 - 30 * -20 / 100 = 36
    assert priced([rule(1, applied_on="3_global", compute_price="percentage", base="standard_price",
                        percent_price=D(-20))])[0] == D(36)


def test_a_fixed_price_ignores_its_base():
    assert priced([rule(1, applied_on="3_global", fixed_price=D("55.5"), base="standard_price")])[0] == D("55.50")


def test_the_most_specific_rule_wins_in_odoos_order():
    rules = [rule(1, applied_on="3_global", compute_price="percentage", percent_price=D(1)),
             rule(2, applied_on="2_product_category", category_id=2, category_name="All / Saleable",
                  compute_price="percentage", percent_price=D(10)),
             rule(3, applied_on="2_product_category", category_id=106, category_name="All / Saleable / Jackets",
                  compute_price="percentage", percent_price=D(20)),
             rule(4, applied_on="1_product", template_id=70, fixed_price=D(60)),
             rule(5, applied_on="0_product_variant", template_id=70, variant_id=7, fixed_price=D(50))]
    assert priced(rules)[1].id == 5
    assert priced(rules[:4])[1].id == 4
    # the deeper category first: 100.99 - 20 % = 80.792
    assert priced(rules[:3]) == (D("80.79"), rules[2])
    assert priced(rules[:2])[1].id == 2
    # a rule for another template, variant or category does not apply
    others = [rule(6, applied_on="1_product", template_id=71, fixed_price=D(1)),
              rule(7, applied_on="0_product_variant", template_id=70, variant_id=8, fixed_price=D(1)),
              rule(8, applied_on="2_product_category", category_id=107, category_name="All / Saleable / Shoes",
                   fixed_price=D(1))]
    assert priced(others) == (D("100.99"), None)


def test_a_quantity_break_is_not_the_catalog_price_and_outranks_a_deeper_category_at_its_quantity():
    # Odoo orders by min_quantity before the category: at 10, the shallower rule for 10 wins
    bulk = rule(1, applied_on="2_product_category", category_id=2, category_name="All / Saleable", min_quantity=D(10),
                compute_price="percentage", percent_price=D(30))
    deeper = rule(2, applied_on="2_product_category", category_id=106, category_name="All / Saleable / Jackets",
                  compute_price="percentage", percent_price=D(5))
    assert priced([bulk, deeper])[1] is deeper
    assert priced([bulk, deeper], quantity=D(10))[1] is bulk
    # between equals the newer rule wins (id desc)
    assert priced([rule(3, applied_on="3_global", fixed_price=D(1)), rule(4, applied_on="3_global", fixed_price=D(2))])[
        0] == D(2)


def test_a_price_based_on_another_pricelist_is_that_pricelists_price():
    # pricelist 3: 10 % off pricelist 2, where the variant is fixed at 80: 72
    on_two = rule(1, pricelist_id=3, applied_on="3_global", compute_price="formula", base="pricelist",
                  base_pricelist_id=2, price_discount=D(10))
    fixed = rule(2, pricelist_id=2, applied_on="0_product_variant", template_id=70, variant_id=7, fixed_price=D(80))
    assert priced([on_two, fixed], pricelist_id=3)[0] == D(72)
    # without a rule on pricelist 2, its price is the sales price: 100.99 - 10 % = 90.891
    assert priced([on_two], pricelist_id=3)[0] == D("90.89")


def test_a_loop_or_a_chain_too_long_is_refused():
    loop = [rule(1, pricelist_id=2, applied_on="3_global", compute_price="percentage", base="pricelist",
                 base_pricelist_id=3),
            rule(2, pricelist_id=3, applied_on="3_global", compute_price="percentage", base="pricelist",
                 base_pricelist_id=2)]
    with pytest.raises(BackendError, match="2 -> 3 -> 2"):
        priced(loop)
    chain = [rule(n, pricelist_id=n, applied_on="3_global", compute_price="percentage", percent_price=D(1),
                  base="pricelist", base_pricelist_id=n + 1) for n in range(1, MAX_CHAIN + 1)]
    with pytest.raises(BackendError, match="more than"):
        priced(chain, pricelist_id=1)
    # one shorter is worked out: 1 % off, MAX_CHAIN - 1 times over
    assert priced(chain[1:], pricelist_id=2)[0] == (D("100.99") * D("0.99") ** (MAX_CHAIN - 1)).quantize(D("0.01"))


def test_rounding_to_a_multiple_goes_half_away_from_zero():
    assert round_to_multiple(D("12.325"), D("0.05")) == D("12.35")
    assert round_to_multiple(D("-2.5"), D(1)) == D(-3)
    assert round_to_multiple(D("67.9915"), D(1)) == D(68)
