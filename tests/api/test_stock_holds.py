"""Stock held for carts, through two live gateway processes over the simulators and one store: the
last unit goes to exactly one channel, the other is told INSUFFICIENT_STOCK with what is left; held
units are not offered to other channels, but are to the cart holding them; holds lapse (by the
gateway's clock), are released when a line goes or a checkout fails, and the ERP order consumes
them without counting its units twice, even against a figure cached before the order."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from domain.channels import Channel
from resolvers import global_ids
from simulators.catalog import LOCATIONS, Catalog, SeedVariant
from tests.api.test_cart_sign_in import SIGN_IN
from tests.api.test_checkout import CHECKOUT, SHIPPING, customer
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, served_gateway

ERRORS = "userErrors { code field message available }"
CART = "cart { id version lines { id quantity } warnings { code } }"
CREATE = f"mutation($lines: [CartLineInput!]) {{ cartCreate(input: {{lines: $lines}}) {{ {CART} {ERRORS} }} }}"
ADD = f"""mutation($cart: ID!, $lines: [CartLineInput!]!) {{ cartLinesAdd(cartId: $cart, lines: $lines) {{
  {CART} {ERRORS} }} }}"""
REMOVE = f"""mutation($cart: ID!, $ids: [ID!]!) {{ cartLinesRemove(cartId: $cart, lineIds: $ids) {{
  {CART} {ERRORS} }} }}"""
READ = f"query($cart: ID!) {{ cart(id: $cart) {{ warnings {{ code }} lines {{ quantity }} }} }}"
STOCK = """query($sku: String!) @inContext(maxStockAge: %s) { product(sku: $sku) { variants { sku
  stock { quantity } storeAvailability(first: 8) { store { name } quantity } } } }"""
CHECKOUT_ERRORS = CHECKOUT.replace("userErrors { code field message }", ERRORS)
CART_MINUTES = 15


@dataclass
class Gateways:
    catalog: Catalog
    clock: MovingClock
    holding: GraphQLClient  # holds on add (`holds.on_add`), caches stock figures for a minute
    plain: GraphQLClient  # holds at checkout only, reads stock live
    used: list[SeedVariant]


@pytest.fixture(scope="module")
def gateways(backends, mongo_url) -> Iterator[Gateways]:
    catalog, sims = backends
    clock = MovingClock()
    name = f"holds_{uuid.uuid4().hex[:8]}"
    api_key = issue_key(mongo_url, database=name, channels=(Channel.WEB, Channel.APP, Channel.CALL_CENTER),
                        **UNLIMITED)
    database = {"CGW_MONGO__DATABASE": name, "CGW_HOLDS__EXPIRE_SECONDS": "0"}
    with served_gateway(sims, mongo_url, clock, CGW_HOLDS__ON_ADD="true", CGW_CATALOG__STOCK_CACHE_SECONDS="60",
                        CGW_HOLDS__CART_MINUTES=str(CART_MINUTES), **database) as holding, \
            served_gateway(sims, mongo_url, clock, CGW_CATALOG__STOCK_CACHE_SECONDS="0", **database) as plain:
        clients = GraphQLClient(holding, api_key), GraphQLClient(plain, api_key)
        yield Gateways(catalog, clock, *clients, [])
        for client in clients:
            client.http.close()


def only(gateways: Gateways, units: int) -> SeedVariant:
    """A variant not used by an earlier test, with `units` available in the ERP, all of them at the
    first distribution centre (the web shop's and the app's), none anywhere else."""
    catalog = gateways.catalog
    variant = next(v for p in catalog.products[1:] for v in p.variants if v not in gateways.used)
    gateways.used.append(variant)
    for location in LOCATIONS:
        catalog.stock_edits[(variant.erp_id, location.warehouse_id)] = (units if location.warehouse_id == 1 else 0, 0)
    return variant


def line(variant: SeedVariant, quantity: int = 1) -> dict:
    return {"merchandiseId": global_ids.encode("Variant", variant.sku), "quantity": quantity}


def cart_of(client: GraphQLClient, channel: str, *lines: dict, headers: dict | None = None) -> dict:
    answer = client(CREATE, {"lines": list(lines)}, {"X-Channel": channel, **(headers or {})})["data"]["cartCreate"]
    assert answer["userErrors"] == [], answer
    return answer["cart"]


def shown(client: GraphQLClient, variant: SeedVariant, channel: str = "APP", max_age: int = 0) -> int:
    product_sku = variant.sku.rsplit("-", 1)[0]
    answer = client(STOCK % max_age, {"sku": product_sku}, {"X-Channel": channel})
    assert "errors" not in answer, answer
    return next(v["stock"]["quantity"] for v in answer["data"]["product"]["variants"] if v["sku"] == variant.sku)


def check_out(client: GraphQLClient, cart: dict, channel: str, headers: dict | None = None) -> dict:
    answer = client(CHECKOUT_ERRORS, {"cart": cart["id"], "input": SHIPPING, "key": str(uuid.uuid4())},
                    {"X-Channel": channel, **(headers or {})})
    assert "errors" not in answer, answer
    return answer["data"]["cartCheckout"]


def test_two_channels_checking_out_the_last_unit_at_once_one_gets_it(gateways):
    # given one unit in the ERP, in a web cart on one gateway and an app cart on the other (no holds yet)
    variant = only(gateways, 1)
    web = cart_of(gateways.plain, "WEB", line(variant))
    app = cart_of(gateways.plain, "APP", line(variant))
    # when both check out at once, each through its own gateway process
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: check_out(*args), [(gateways.holding, web, "WEB"),
                                                               (gateways.plain, app, "APP")]))
    # then exactly one order is placed; the other is told no unit is left, in the message and the field
    placed = [r for r in results if r["order"] is not None]
    refused = [r for r in results if r["order"] is None]
    assert len(placed) == 1 and len(refused) == 1, results
    [error] = refused[0]["userErrors"]
    assert (error["code"], error["available"], error["field"]) == ("INSUFFICIENT_STOCK", 0, ["lines", "0"])
    assert f"only 0 of {variant.sku} available" in error["message"]
    # and the ERP reserved the unit sold, which every channel now sees gone
    assert gateways.catalog.stock(variant.erp_id, LOCATIONS[0]) == (1, 1)
    assert shown(gateways.plain, variant, "WEB") == 0


def test_a_unit_held_on_add_is_not_offered_elsewhere_until_the_hold_lapses(gateways):
    # given one unit, added to a web cart on the gateway that holds on add
    variant = only(gateways, 1)
    web = cart_of(gateways.holding, "WEB", line(variant))
    # then the other channels see none of it, in its stock and its store availability
    assert shown(gateways.plain, variant, "APP") == 0
    assert shown(gateways.plain, variant, "CALL_CENTER") == 0
    # while the holding cart sees its unit as there: no stock warning
    assert gateways.holding(READ, {"cart": web["id"]}, {"X-Channel": "WEB"})["data"]["cart"]["warnings"] == []
    # and an app shopper adding it is told none is left
    app = cart_of(gateways.plain, "APP")
    added = gateways.plain(ADD, {"cart": app["id"], "lines": [line(variant)]}, {"X-Channel": "APP"})
    [error] = added["data"]["cartLinesAdd"]["userErrors"]
    assert (error["code"], error["available"]) == ("INSUFFICIENT_STOCK", 0)
    # when the hold lapses (the gateway's clock moved past it)
    gateways.clock.advance(CART_MINUTES * 60 + 1)
    # then the unit is offered again, and the app shopper gets it
    assert shown(gateways.plain, variant, "APP") == 1
    added = gateways.plain(ADD, {"cart": app["id"], "lines": [line(variant)]}, {"X-Channel": "APP"})
    assert added["data"]["cartLinesAdd"]["userErrors"] == []
    placed = check_out(gateways.plain, added["data"]["cartLinesAdd"]["cart"], "APP")
    assert placed["userErrors"] == [] and placed["order"] is not None


def test_a_checkout_and_a_hold_on_add_racing_for_the_last_unit(gateways):
    # given one unit in an app cart (no hold yet)
    variant = only(gateways, 1)
    app = cart_of(gateways.plain, "APP", line(variant))
    web = cart_of(gateways.holding, "WEB")

    def add_on_web() -> dict:
        return gateways.holding(ADD, {"cart": web["id"], "lines": [line(variant)]}, {"X-Channel": "WEB"})[
            "data"]["cartLinesAdd"]

    # when the app checks out while a web shopper adds the unit (and holds it)
    with ThreadPoolExecutor(2) as pool:
        checkout = pool.submit(check_out, gateways.plain, app, "APP")
        added = pool.submit(add_on_web)
        results = checkout.result(), added.result()
    # then exactly one of them has it; the other is told none is left
    won = [r["userErrors"] == [] for r in results]
    assert won.count(True) == 1, results
    loser = results[won.index(False)]["userErrors"][0]
    assert (loser["code"], loser["available"]) == ("INSUFFICIENT_STOCK", 0)


def test_removing_the_line_releases_its_hold(gateways):
    variant = only(gateways, 2)
    web = cart_of(gateways.holding, "WEB", line(variant, 2))
    assert shown(gateways.plain, variant) == 0
    # when the line goes
    line_id = web["lines"][0]["id"]
    removed = gateways.holding(REMOVE, {"cart": web["id"], "ids": [line_id]}, {"X-Channel": "WEB"})
    assert removed["data"]["cartLinesRemove"]["userErrors"] == []
    # then its units are offered again at once
    assert shown(gateways.plain, variant) == 2


def test_a_failed_checkout_releases_what_it_held(gateways, backends):
    _, sims = backends
    variant = only(gateways, 1)
    app = cart_of(gateways.plain, "APP", line(variant))
    # given the ERP fails the order's creation (and then says there is no order)
    sims["odoo"].faults(fail_next=1, fail_status=500, fail_path="/json/2/sale.order/create")
    try:
        answer = gateways.plain(CHECKOUT_ERRORS, {"cart": app["id"], "input": SHIPPING, "key": str(uuid.uuid4())},
                                {"X-Channel": "APP"})
    finally:
        sims["odoo"].heal()
    assert answer["errors"][0]["extensions"]["backend"] == "odoo" and not (answer["data"] or {}).get("cartCheckout")
    # then the unit it held is offered again in every channel
    assert shown(gateways.plain, variant, "WEB") == 1


def test_the_erp_order_consumes_the_hold_without_counting_its_units_twice(gateways):
    # given two units, whose figure the caching gateway has read (and keeps for a minute)
    variant = only(gateways, 2)
    assert shown(gateways.holding, variant, "WEB", max_age=60) == 2
    # when an app cart checks one out on the other gateway (held, then ordered: the ERP reserves it)
    app = cart_of(gateways.plain, "APP", line(variant))
    placed = check_out(gateways.plain, app, "APP")
    assert placed["userErrors"] == [] and placed["order"] is not None
    assert gateways.catalog.stock(variant.erp_id, LOCATIONS[0]) == (2, 1)
    # then every channel sees one left: live (the ERP's figure, the hold not subtracted again), and
    # from the figure cached before the order (the consumed hold still subtracted from it)
    assert shown(gateways.holding, variant, "CALL_CENTER", max_age=60) == 1
    assert shown(gateways.plain, variant, "WEB") == 1
    assert shown(gateways.holding, variant, "WEB", max_age=0) == 1


def test_a_cart_adding_a_huge_quantity_holds_only_its_share(gateways):
    # given 100 units, and a web cart adding 60 of them (the gateway holds on add, at most 10 a SKU)
    variant = only(gateways, 100)
    cart_of(gateways.holding, "WEB", line(variant, 60))
    # then the other channels see 90: the rest is checked again, and held, at checkout
    assert shown(gateways.plain, variant, "APP") == 90


def test_a_guest_carts_held_units_go_with_its_lines_at_sign_in(gateways):
    # given a customer's cart, and a guest cart holding the last unit of a variant
    other, variant = only(gateways, 5), only(gateways, 1)
    ana = customer()
    theirs = cart_of(gateways.holding, "WEB", line(other), headers=ana)
    guest = cart_of(gateways.holding, "WEB", line(variant))
    # when the guest signs in: the guest cart's lines are merged into the customer's
    signed_in = gateways.holding(SIGN_IN, {"cart": guest["id"]}, {**ana, "X-Channel": "WEB"})
    merged = signed_in["data"]["cartBuyerIdentityUpdate"]
    assert merged["userErrors"] == [] and merged["cart"]["id"] == theirs["id"]
    assert sorted(n["quantity"] for n in merged["cart"]["lines"]) == [1, 1]
    # then the customer's cart holds the unit: others see none, and it checks out
    assert shown(gateways.plain, variant, "APP") == 0
    placed = check_out(gateways.holding, merged["cart"], "WEB", ana)
    assert placed["userErrors"] == [] and placed["order"] is not None
