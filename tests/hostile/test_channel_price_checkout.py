"""A web bundle's key (unbound, so it may read any channel's prices) sent `X-Channel: STORE` or
`@inContext(channel: MARKETPLACE)` and checked out at that channel's price. A key checks out only
at the channels it may use: its bound channel, the channels it was given, or its kind's."""

from __future__ import annotations

import pytest

from tests.api.test_checkout import CHECKOUT, SHIPPING, cart_with, check_out, stocked  # noqa: F401 (fixture)
from tests.api.test_carts import payload

IN_CONTEXT = CHECKOUT.replace("mutation(", "mutation Checkout(").replace(
    "mutation Checkout($cart: ID!, $input: CheckoutInput!, $key: String!)",
    "mutation Checkout($cart: ID!, $input: CheckoutInput!, $key: String!) @inContext(channel: MARKETPLACE)")
KEY_CHANNELS = "{ apiKeys { keyId checkoutChannels } }"


@pytest.mark.parametrize("channel", ["STORE", "CALL_CENTER", "APP", "MARKETPLACE"])
def test_a_web_key_cannot_check_out_at_another_channels_price(client_with_key, gql, stocked, channel):  # noqa: F811
    web = client_with_key("frontend")  # the kind's default: checkout at WEB
    headers = {"X-Channel": channel}
    cart = cart_with(gql, [(stocked[0], 1)])
    # when
    refused = check_out(web, cart, SHIPPING, headers)
    # then
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("CHANNEL_NOT_ALLOWED", ["input"])]
    assert "only at WEB" in refused["userErrors"][0]["message"]
    assert refused["order"] is None
    # and at WEB it checks out
    placed = check_out(web, cart, SHIPPING)
    assert placed["userErrors"] == [] and placed["order"]["channel"] == "WEB"


def test_in_context_cannot_choose_the_checkout_price_either(client_with_key, gql, stocked):  # noqa: F811
    web = client_with_key("frontend")
    cart = cart_with(gql, [(stocked[0], 1)])
    answer = web(IN_CONTEXT, {"cart": cart["id"], "input": SHIPPING, "key": "in-context-1"})
    refused = payload(answer, "cartCheckout")
    assert [e["code"] for e in refused["userErrors"]] == ["CHANNEL_NOT_ALLOWED"]


def test_a_key_given_the_store_channel_checks_out_there(client_with_key, gql, stocked):  # noqa: F811
    from domain.channels import Channel

    pos = client_with_key("frontend", channels=(Channel.STORE,))
    cart = cart_with(gql, [(stocked[0], 1)])
    assert [e["code"] for e in check_out(pos, cart, SHIPPING)["userErrors"]] == ["CHANNEL_NOT_ALLOWED"]
    placed = check_out(pos, cart, SHIPPING, {"X-Channel": "STORE"})
    assert placed["userErrors"] == [] and placed["order"]["channel"] == "STORE"


def test_the_mobile_kind_checks_out_at_app_prices_only(client_with_key, gql, stocked):  # noqa: F811
    app = client_with_key("mobile")
    cart = cart_with(gql, [(stocked[0], 1)])
    assert [e["code"] for e in check_out(app, cart, SHIPPING, {"X-Channel": "WEB"})["userErrors"]] == [
        "CHANNEL_NOT_ALLOWED"]
    assert check_out(app, cart, SHIPPING, {"X-Channel": "APP"})["userErrors"] == []
