"""Carts through the live gateway and the embedded store: one cart, every channel, no lost update."""

from __future__ import annotations

import asyncio

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import served_gateway

CART_FIELDS = """id version channel totalQuantity note attributes { key value }
  lines { id quantity merchandise { sku } cost { amountPerQuantity { amount currencyCode } totalAmount { amount } } }
  cost { subtotalAmount { amount currencyCode } totalAmount { amount } }
  warnings { code message target }"""
PAYLOAD = f"cart {{ {CART_FIELDS} }} userErrors {{ code field message }}"
CREATE = f"mutation($input: CartInput!) {{ cartCreate(input: $input) {{ {PAYLOAD} }} }}"
ADD = f"""mutation($cart: ID!, $lines: [CartLineInput!]!, $v: Int) {{
  cartLinesAdd(cartId: $cart, lines: $lines, expectedVersion: $v) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($cart: ID!, $lines: [CartLineUpdateInput!]!, $v: Int) {{
  cartLinesUpdate(cartId: $cart, lines: $lines, expectedVersion: $v) {{ {PAYLOAD} }} }}"""
REMOVE = f"""mutation($cart: ID!, $ids: [ID!]!) {{ cartLinesRemove(cartId: $cart, lineIds: $ids) {{ {PAYLOAD} }} }}"""
NOTE = f"""mutation($cart: ID!, $note: String!) {{ cartNoteUpdate(cartId: $cart, note: $note) {{ {PAYLOAD} }} }}"""
ATTRIBUTES = f"""mutation($cart: ID!, $attributes: [AttributeInput!]!) {{
  cartAttributesUpdate(cartId: $cart, attributes: $attributes) {{ {PAYLOAD} }} }}"""
READ = f"query($id: ID!) {{ cart(id: $id) {{ {CART_FIELDS} }} }}"
VARIANTS = """query($first: Int!) { products(first: $first) { edges { node { variants {
  id sku quantityAvailable price { amount } } } } } }"""


@pytest.fixture(scope="module")
def variants(gql) -> list[dict]:
    """Variants of the first products, with their WEB stock and price."""
    answer = gql(VARIANTS, {"first": 30})
    return [v for edge in answer["data"]["products"]["edges"] for v in edge["node"]["variants"]]


def in_stock(variants: list[dict], at_least: int, skip: int = 0) -> list[dict]:
    return [v for v in variants if v["quantityAvailable"] >= at_least][skip:]


def payload(answer: dict, name: str) -> dict:
    assert "errors" not in answer, answer
    return answer["data"][name]


def create(gql, lines: list[dict], headers: dict | None = None, **extra) -> dict:
    result = payload(gql(CREATE, {"input": {"lines": lines, **extra}}, headers), "cartCreate")
    assert result["userErrors"] == [], result
    return result["cart"]


def test_a_cart_created_on_the_web_is_read_and_changed_in_the_app_and_the_store(gql, variants):
    # given a web cart with one line
    first, second = in_stock(variants, 5)[:2]
    cart = create(gql, [{"merchandiseId": first["id"], "quantity": 2}], {"X-Channel": "WEB"}, note="gift")
    assert cart["version"] == 1 and cart["channel"] == "WEB" and cart["totalQuantity"] == 2
    assert cart["lines"][0]["cost"]["amountPerQuantity"]["amount"] == first["price"]["amount"]
    # when the app adds a line to it
    added = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": second["id"]}]}, {"X-Channel": "APP"}),
                    "cartLinesAdd")
    # then it is the same cart, one version on, priced for the app
    assert added["userErrors"] == []
    assert added["cart"]["id"] == cart["id"] and added["cart"]["version"] == 2
    assert [(line["merchandise"]["sku"], line["quantity"]) for line in added["cart"]["lines"]] == \
        [(first["sku"], 2), (second["sku"], 1)]
    # and the store reads it too, priced with the store's pricelist, the note kept
    seen = gql(READ, {"id": cart["id"]}, {"X-Channel": "STORE"})["data"]["cart"]
    assert seen["version"] == 2 and seen["note"] == "gift" and seen["channel"] == "WEB"
    subtotal = sum(float(line["cost"]["totalAmount"]["amount"]) for line in seen["lines"])
    assert float(seen["cost"]["subtotalAmount"]["amount"]) == pytest.approx(subtotal)


def test_adding_a_variant_already_in_the_cart_sums_its_quantity(gql, variants):
    (variant,) = in_stock(variants, 10)[:1]
    cart = create(gql, [{"merchandiseId": variant["id"], "quantity": 1}])
    added = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": variant["id"], "quantity": 3}]}),
                    "cartLinesAdd")["cart"]
    assert [line["quantity"] for line in added["lines"]] == [4]
    assert added["lines"][0]["id"] == cart["lines"][0]["id"]


def test_lines_are_updated_and_removed(gql, variants):
    a, b, c = in_stock(variants, 5)[:3]
    cart = create(gql, [{"merchandiseId": v["id"]} for v in (a, b, c)])
    ids = [line["id"] for line in cart["lines"]]
    # when the first line goes to 3, the second to 0 (removed), and the third is removed
    updated = payload(gql(UPDATE, {"cart": cart["id"], "lines": [{"id": ids[0], "quantity": 3},
                                                                 {"id": ids[1], "quantity": 0}]}), "cartLinesUpdate")
    removed = payload(gql(REMOVE, {"cart": cart["id"], "ids": [ids[2]]}), "cartLinesRemove")
    # then one line is left, and every change counted once
    assert [(line["id"], line["quantity"]) for line in updated["cart"]["lines"]] == [(ids[0], 3), (ids[2], 1)]
    assert [(line["id"], line["quantity"]) for line in removed["cart"]["lines"]] == [(ids[0], 3)]
    assert removed["cart"]["version"] == 3


def test_note_and_attributes(gql, variants):
    cart = create(gql, [])
    noted = payload(gql(NOTE, {"cart": cart["id"], "note": "leave at the door"}), "cartNoteUpdate")["cart"]
    tagged = payload(gql(ATTRIBUTES, {"cart": cart["id"], "attributes": [{"key": "gift-wrap", "value": "yes"}]}),
                     "cartAttributesUpdate")["cart"]
    assert noted["note"] == "leave at the door"
    assert tagged["attributes"] == [{"key": "gift-wrap", "value": "yes"}] and tagged["version"] == 3


@pytest.mark.parametrize(("line", "code", "field"), [
    ({"merchandiseId": "VmFyaWFudC9OTy1TVUNILVNLVQ", "quantity": 1}, "UNKNOWN_MERCHANDISE",
     ["input", "lines", "0", "merchandiseId"]),
    ({"merchandiseId": "garbage", "quantity": 1}, "UNKNOWN_MERCHANDISE", ["input", "lines", "0", "merchandiseId"]),
    ("VARIANT", "INVALID_QUANTITY", ["input", "lines", "0", "quantity"]),
])
def test_lines_that_cannot_be_added_are_user_errors_and_no_cart_is_made(gql, variants, line, code, field):
    if line == "VARIANT":
        line = {"merchandiseId": variants[0]["id"], "quantity": 0}
    result = payload(gql(CREATE, {"input": {"lines": [line]}}), "cartCreate")
    assert result["cart"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]


def test_a_quantity_above_the_maximum_is_refused(gql, variants):
    cart = create(gql, [])
    result = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": variants[0]["id"],
                                                              "quantity": 1000}]}), "cartLinesAdd")
    assert result["userErrors"][0]["code"] == "INVALID_QUANTITY"
    assert "between 1 and 999" in result["userErrors"][0]["message"]
    assert result["cart"]["version"] == 1  # unchanged


def test_more_than_the_channel_has_is_insufficient_stock_naming_what_is_available(gql, variants):
    variant = in_stock(variants, 1)[0]
    available = variant["quantityAvailable"]
    cart = create(gql, [{"merchandiseId": variant["id"], "quantity": 1}])
    result = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": variant["id"],
                                                              "quantity": available}]}), "cartLinesAdd")
    (error,) = result["userErrors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["lines", "0", "quantity"]
    assert f"only {available} of {variant['sku']} available" in error["message"]
    assert result["cart"]["totalQuantity"] == 1


def test_too_many_lines(gql):
    ids: list[str] = []
    after = None
    while len(ids) < 251:
        page = gql("query($after: String) { products(first: 100, after: $after) { pageInfo { endCursor } "
                   "edges { node { variants { id } } } } }", {"after": after})["data"]["products"]
        ids += [v["id"] for e in page["edges"] for v in e["node"]["variants"]]
        after = page["pageInfo"]["endCursor"]
    ids = ids[:251]
    cart = create(gql, [])
    result = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": i} for i in ids]}), "cartLinesAdd")
    assert [e["code"] for e in result["userErrors"]] == ["TOO_MANY_LINES"]
    assert "at most 250 lines" in result["userErrors"][0]["message"]


def test_a_stale_expected_version_is_a_conflict_answered_with_the_current_cart(gql, variants):
    a, b = in_stock(variants, 5)[:2]
    cart = create(gql, [{"merchandiseId": a["id"]}])
    payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": b["id"]}], "v": 1}), "cartLinesAdd")
    # when an offline client replays a change made on version 1
    result = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": a["id"]}], "v": 1}), "cartLinesAdd")
    # then nothing is applied, and the client gets the cart to rebase on
    assert [e["code"] for e in result["userErrors"]] == ["VERSION_CONFLICT"]
    assert result["cart"]["version"] == 2 and result["cart"]["totalQuantity"] == 2


@pytest.fixture(scope="module")
def patient_gateway(simulators, mongo_url) -> Iterator[str]:
    """A gateway whose backends may take 5 s, and whose queue (past the 32 running) may hold a request
    30 s: fifty validations at once are slow on a loaded machine."""
    with served_gateway(simulators, mongo_url, CGW_SERVER__QUEUE_TIMEOUT_SECONDS="30", **{
            f"CGW_BACKENDS__{b}__TIMEOUT_SECONDS": "5" for b in ("WOOCOMMERCE", "MEDUSA", "ODOO", "EBAY")}) as url:
        yield url


async def test_fifty_concurrent_adds_from_two_channels_are_all_counted(patient_gateway, gql, variants, api_key):
    variant = in_stock(variants, 60)[0]
    cart = create(gql, [])

    async def add(client: httpx.AsyncClient, channel: str) -> dict:
        response = await client.post("/graphql", headers={"X-Channel": channel}, json={
            "query": ADD, "variables": {"cart": cart["id"], "lines": [{"merchandiseId": variant["id"]}]}})
        return response.json()

    # when 50 adds of one unit arrive at once, half from the web and half from the app
    async with httpx.AsyncClient(base_url=patient_gateway, timeout=60, headers={"X-API-Key": api_key}) as client:
        answers = await asyncio.gather(*(add(client, "WEB" if n % 2 else "APP") for n in range(50)))
    # then every one landed, each on its own version
    failed = [a for a in answers if "errors" in a or a["data"]["cartLinesAdd"]["userErrors"]]
    assert failed == []
    final = gql(READ, {"id": cart["id"]})["data"]["cart"]
    assert final["totalQuantity"] == 50
    assert final["version"] == 51
    assert sorted(payload(a, "cartLinesAdd")["cart"]["version"] for a in answers) == list(range(2, 52))


def test_an_unknown_cart_is_null(gql):
    assert gql(READ, {"id": "Q2FydC9uby1zdWNoLWNhcnQ"})["data"] == {"cart": None}
    result = payload(gql(NOTE, {"cart": "Q2FydC9uby1zdWNoLWNhcnQ", "note": "x"}), "cartNoteUpdate")
    assert result == {"cart": None, "userErrors": [{"code": "CART_NOT_FOUND", "field": ["cartId"],
                                                    "message": "no cart with this id"}]}


def test_a_read_in_another_channel_prices_it_there_and_warns_of_the_change(gql):
    # given a variant the app sells on promotion, added to a cart on the web
    web = {v["sku"]: v for e in gql(VARIANTS, {"first": 40})["data"]["products"]["edges"] for v in e["node"]["variants"]}
    app = gql(VARIANTS, {"first": 40}, {"X-Channel": "APP"})["data"]["products"]["edges"]
    variant, app_price = next((web[v["sku"]], v["price"]["amount"]) for e in app for v in e["node"]["variants"]
                              if v["price"]["amount"] != web[v["sku"]]["price"]["amount"]
                              and web[v["sku"]]["quantityAvailable"] > 0)
    cart = create(gql, [{"merchandiseId": variant["id"]}], {"X-Channel": "WEB"})
    # when the app reads it
    seen = gql(READ, {"id": cart["id"]}, {"X-Channel": "APP"})["data"]["cart"]
    # then the line is at the app's price, and a warning names the old and the new amount
    assert seen["lines"][0]["cost"]["amountPerQuantity"]["amount"] == app_price
    (warning,) = seen["warnings"]
    assert warning["code"] == "PRICE_CHANGED" and warning["target"] == seen["lines"][0]["id"]
    assert f"was {variant['price']['amount']} EUR when added, now {app_price} EUR" in warning["message"]


def test_a_line_of_another_cart_or_none_at_all_is_line_not_found(gql, variants):
    (variant,) = in_stock(variants, 5)[:1]
    mine, other = create(gql, [{"merchandiseId": variant["id"]}]), create(gql, [{"merchandiseId": variant["id"]}])
    for line_id in (other["lines"][0]["id"], "Q2FydExpbmUveDox", "garbage"):
        result = payload(gql(UPDATE, {"cart": mine["id"], "lines": [{"id": line_id, "quantity": 2}]}),
                         "cartLinesUpdate")
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("LINE_NOT_FOUND", ["lines", "0", "id"])]
    removed = payload(gql(REMOVE, {"cart": mine["id"], "ids": [other["lines"][0]["id"]]}), "cartLinesRemove")
    assert [e["code"] for e in removed["userErrors"]] == ["LINE_NOT_FOUND"]


def test_a_note_longer_than_2000_characters_is_refused(gql):
    cart = create(gql, [])
    result = payload(gql(NOTE, {"cart": cart["id"], "note": "x" * 2001}), "cartNoteUpdate")
    assert [e["code"] for e in result["userErrors"]] == ["INVALID_NOTE"] and result["cart"]["note"] is None


def test_with_the_erp_down_a_cart_still_shows_at_the_prices_it_was_added_at(gql, variants, simulators):
    variant = in_stock(variants, 5)[0]
    cart = create(gql, [{"merchandiseId": variant["id"], "quantity": 2}])
    # when the ERP stops answering
    simulators["odoo"].faults(down=True)
    answer = gql(READ, {"id": cart["id"]})
    # then the cart is there, priced as added, with a warning and the ERP's error
    seen = answer["data"]["cart"]
    assert seen["totalQuantity"] == 2 and seen["lines"][0]["quantity"] == 2
    assert seen["lines"][0]["merchandise"] is None
    assert seen["cost"]["subtotalAmount"]["amount"] == cart["cost"]["subtotalAmount"]["amount"]
    assert [w["code"] for w in seen["warnings"]] == ["PRICES_UNCONFIRMED"]
    assert {(e["extensions"]["code"], e["extensions"]["backend"]) for e in answer["errors"]} == {
        ("BACKEND_UNAVAILABLE", "odoo")}
