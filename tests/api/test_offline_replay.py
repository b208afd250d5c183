"""The offline replay contract (README, "Offline replay"), played through by an app that queued
its changes while the web changed the same cart.

The app's side, as the README prescribes: each queued change is sent with its idempotency key
and the cart version it was made on. VERSION_CONFLICT comes back with the current cart; the app
then re-applies the change's intent on that cart under the key `<key>@<version>`, so that a
repeat of the rebased change is a no-op too."""

from __future__ import annotations

from dataclasses import dataclass

from tests.api.test_carts import CART_FIELDS, create, in_stock, payload, variants  # noqa: F401 (fixture)

ADD = f"""mutation($cart: ID!, $lines: [CartLineInput!]!, $v: Int, $key: String) {{
  cartLinesAdd(cartId: $cart, lines: $lines, expectedVersion: $v, idempotencyKey: $key) {{
    cart {{ {CART_FIELDS} }} userErrors {{ code field message }} }} }}"""
UPDATE = f"""mutation($cart: ID!, $lines: [CartLineUpdateInput!]!, $v: Int, $key: String) {{
  cartLinesUpdate(cartId: $cart, lines: $lines, expectedVersion: $v, idempotencyKey: $key) {{
    cart {{ {CART_FIELDS} }} userErrors {{ code field message }} }} }}"""


@dataclass
class Queued:
    """One change the shopper made offline: as sent, with its key and the version it was made on.
    `sku` marks a change to an existing line, which a rebase finds again by its variant."""

    mutation: str
    name: str
    variables: dict
    key: str
    version: int
    sku: str | None = None

    def rebase(self, cart: dict) -> dict:
        """The intent re-applied on the current cart: an add adds again; a quantity set on a
        variant's line sets it on that variant's line as it is now."""
        if self.sku is None:
            return self.variables
        line = next(line for line in cart["lines"] if line["merchandise"]["sku"] == self.sku)
        return {"lines": [{"id": line["id"], "quantity": self.variables["lines"][0]["quantity"]}]}


def send(gql, change: Queued, cart_id: str, intent: dict, version: int, key: str) -> dict:
    variables = {"cart": cart_id, "v": version, "key": key, **intent}
    return payload(gql(change.mutation, variables), change.name)


def replay(gql, cart_id: str, queue: list[Queued]) -> tuple[dict, list[str]]:
    """What the app does on reconnecting; returns the final cart and what happened to each change."""
    outcomes, cart = [], None
    for change in queue:
        result = send(gql, change, cart_id, change.variables, change.version, change.key)
        codes = [e["code"] for e in result["userErrors"]]
        if codes == ["VERSION_CONFLICT"]:
            current = result["cart"]
            rebased = send(gql, change, cart_id, change.rebase(current), current["version"],
                           f"{change.key}@{current['version']}")
            assert rebased["userErrors"] == [], rebased
            outcomes.append("rebased")
            cart = rebased["cart"]
        else:
            assert codes == [], result
            outcomes.append("applied")
            cart = result["cart"]
    return cart, outcomes


def quantities(cart: dict) -> dict[str, int]:
    return {line["merchandise"]["sku"]: line["quantity"] for line in cart["lines"]}


def test_an_offline_session_replayed_after_the_web_changed_the_cart(gql, variants):  # noqa: F811
    jacket, scarf, boots = in_stock(variants, 10)[:3]
    # given a cart the app saw at version 1, with one jacket
    cart = create(gql, [{"merchandiseId": jacket["id"]}])
    assert cart["version"] == 1
    # and, offline, the shopper adds two scarves and then sets the jackets to three
    jacket_line = cart["lines"][0]["id"]
    queue = [Queued(ADD, "cartLinesAdd", {"lines": [{"merchandiseId": scarf["id"], "quantity": 2}]}, "app-1", 1),
             Queued(UPDATE, "cartLinesUpdate", {"lines": [{"id": jacket_line, "quantity": 3}]}, "app-2", 2,
                    sku=jacket["sku"])]
    # while on the web the same cart gets a pair of boots (version 2)
    web = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": boots["id"]}]}), "cartLinesAdd")
    assert web["cart"]["version"] == 2

    # when the app reconnects and replays its queue
    final, outcomes = replay(gql, cart["id"], queue)

    # then the shopper's intent and the web's change both stand
    assert outcomes == ["rebased", "rebased"]
    assert quantities(final) == {jacket["sku"]: 3, scarf["sku"]: 2, boots["sku"]: 1}
    assert final["version"] == 4

    # and a second replay of the whole queue (the app never saw the answers) changes nothing
    again, _ = replay(gql, cart["id"], queue)
    assert quantities(again) == quantities(final) and again["version"] == 4


def test_a_change_replayed_twice_is_applied_once(gql, variants):  # noqa: F811
    scarf = in_stock(variants, 10)[1]
    cart = create(gql, [])
    change = {"cart": cart["id"], "lines": [{"merchandiseId": scarf["id"]}], "v": 1, "key": "app-once"}
    first = payload(gql(ADD, change), "cartLinesAdd")
    repeat = payload(gql(ADD, change), "cartLinesAdd")
    assert first["cart"]["version"] == repeat["cart"]["version"] == 2
    assert quantities(repeat["cart"]) == {scarf["sku"]: 1}
