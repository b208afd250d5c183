"""A guest checkout whose e-mail holds LIKE wildcards (`%`, `_`) found someone else's ERP contact
with `=ilike`, so the guest's order showed in that customer's `me { orders }`; and a returning
customer's new shipping address was dropped, the order going to the old one."""

from __future__ import annotations

import uuid

import httpx

from tests.api.test_checkout import ORDERS, SHIPPING, cart_with, check_out, customer, stocked  # noqa: F401 (fixture)

ODOO_KEY = "odoo-demo-key"  # the simulator's


def odoo(simulators, model: str, method: str, **kwargs) -> list[dict]:
    answer = httpx.post(f"{simulators['odoo'].url}/json/2/{model}/{method}", json=kwargs,
                        headers={"Authorization": f"bearer {ODOO_KEY}"}, timeout=10)
    answer.raise_for_status()
    return answer.json()


def erp_order(simulators, cart_id: str) -> dict:
    from resolvers import global_ids

    _, reference = global_ids.decode(cart_id)
    [order] = odoo(simulators, "sale.order", "search_read", domain=[["client_order_ref", "=", reference]],
                   fields=["partner_id", "partner_shipping_id"])
    return order


def test_a_wildcard_email_does_not_reach_another_customers_contact(gql, stocked, simulators):  # noqa: F811
    # given a signed-in customer with an order, under an e-mail of their own domain
    domain = f"{uuid.uuid4().hex[:10]}.example"
    victim = customer()
    placed = check_out(gql, cart_with(gql, [(stocked[0], 1)], victim), {**SHIPPING, "email": f"victim@{domain}"},
                       victim)
    assert placed["userErrors"] == []
    # when guests check out with e-mails that match it as LIKE patterns
    for email in (f"%@{domain}", f"v_ctim@{domain}", f"VICTIM%@{domain}"):
        cart = cart_with(gql, [(stocked[1], 1)])
        result = check_out(gql, cart, {**SHIPPING, "email": email})
        assert result["userErrors"] == []
        # then their orders go to contacts of their own, not the customer's
        assert erp_order(simulators, cart["id"])["partner_id"][0] != erp_order(simulators, placed["cart"]["id"])[
            "partner_id"][0]
    # and the customer's orders are theirs alone
    orders = gql(ORDERS, headers=victim)["data"]["me"]["orders"]["nodes"]
    assert [o["number"] for o in orders] == [placed["order"]["number"]]


def test_a_guest_email_matches_its_guest_contact_exactly_in_any_case(gql, stocked, simulators):  # noqa: F811
    email = f"Guest.{uuid.uuid4().hex[:8]}@Example.com"
    first, second, other = (cart_with(gql, [(stocked[0], 1)]) for _ in range(3))
    check_out(gql, first, {**SHIPPING, "email": email})
    check_out(gql, second, {**SHIPPING, "email": email.upper()})
    check_out(gql, other, {**SHIPPING, "email": "x" + email})
    contacts = [erp_order(simulators, c["id"])["partner_id"][0] for c in (first, second, other)]
    assert contacts[0] == contacts[1] != contacts[2]


def test_a_returning_customers_new_address_is_where_the_order_goes(gql, stocked, simulators):  # noqa: F811
    alice = customer()
    old = SHIPPING["shippingAddress"]
    new = {"street": "Harbour Rd 9", "city": "Hamburg", "zip": "20095", "countryCode": "DE"}
    carts = []
    for address in (old, new, new, old):
        cart = cart_with(gql, [(stocked[0], 1)], alice)
        result = check_out(gql, cart, {**SHIPPING, "shippingAddress": address}, alice)
        assert result["userErrors"] == []
        carts.append(cart)
    orders = [erp_order(simulators, c["id"]) for c in carts]
    shipping = [o["partner_shipping_id"][0] for o in orders]
    # one contact; the new address a delivery address of it, made once and reused
    assert len({o["partner_id"][0] for o in orders}) == 1
    assert shipping[0] == shipping[3] == orders[0]["partner_id"][0]
    assert shipping[1] == shipping[2] != shipping[0]
    [delivery] = odoo(simulators, "res.partner", "read", ids=[shipping[1]],
                      fields=["street", "city", "zip", "type", "parent_id"])
    assert (delivery["street"], delivery["city"], delivery["zip"], delivery["type"]) == (
        "Harbour Rd 9", "Hamburg", "20095", "delivery")
    assert delivery["parent_id"][0] == orders[0]["partner_id"][0]
