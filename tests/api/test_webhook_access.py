"""Who manages which partner webhook endpoint: a marketplace key its own, for its bound channel; a
`keys:admin` key every one; a frontend key none. Another partner's endpoint is NOT_FOUND, exactly as
one that does not exist, so its existence is not given away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from domain.api_keys import Scope
from domain.channels import Channel
from gateway.settings import MongoSettings, WebhookSettings
from tests.conftest import UNLIMITED, GraphQLClient, issue_key

CREATE = """mutation($input: WebhookCreateInput!) { webhookCreate(input: $input) {
  webhook { id url channel events state ownerKeyId } secret userErrors { code field message } } }"""
LIST = "{ webhooks { id channel ownerKeyId } }"
DELETE = "mutation($id: ID!) { webhookDelete(id: $id) { webhook { id } userErrors { code message } } }"
ROTATE = "mutation($id: ID!) { webhookSecretRotate(id: $id) { secret userErrors { code message } } }"
ENABLE = "mutation($id: ID!) { webhookEnable(id: $id) { webhook { id } userErrors { code message } } }"
DELIVERIES = "query($id: ID!) { webhookDeliveries(webhookId: $id) { id } }"
URL = "https://partner.example.com/hooks"


@pytest.fixture
def keys(gateway, mongo_url) -> Iterator[dict[str, GraphQLClient]]:
    made = {name: GraphQLClient(gateway, issue_key(mongo_url, kind, name=name, **UNLIMITED))
            for name, kind in (("partner", "marketplace"), ("rival", "marketplace"), ("admin", "admin"),
                               ("shop", "frontend"))}
    yield made
    for client in made.values():
        client.http.close()


def create(client: GraphQLClient, url: str = URL, **extra: object) -> dict:
    answer = client(CREATE, {"input": {"url": url, "events": ["STOCK", "PRICE"], **extra}})
    return answer["data"]["webhookCreate"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def test_a_marketplace_key_makes_an_endpoint_for_its_channel_and_sees_its_secret_once(keys):
    # when a marketplace key registers an endpoint without naming a channel
    made = create(keys["partner"])
    # then it is for the key's bound channel, active, owned by the key, with its secret in the payload only
    assert made["userErrors"] == [] and made["secret"].startswith("whsec_")
    assert made["webhook"]["channel"] == "MARKETPLACE" and made["webhook"]["state"] == "ACTIVE"
    assert made["webhook"]["events"] == ["PRICE", "STOCK"]
    listed = keys["partner"](LIST)["data"]["webhooks"]
    assert [w["id"] for w in listed] == [made["webhook"]["id"]]
    # and a marketplace key may not register one for another channel
    refused = create(keys["partner"], channel="WEB")
    assert codes(refused) == ["CHANNEL_NOT_ALLOWED"] and refused["webhook"] is None


def test_another_partners_endpoint_is_not_found_as_if_it_did_not_exist(keys):
    # given an endpoint of one partner
    theirs = create(keys["partner"])["webhook"]["id"]
    # when another partner lists, reads, rotates, enables or deletes it
    assert theirs not in [w["id"] for w in keys["rival"](LIST)["data"]["webhooks"]]
    assert keys["rival"](DELIVERIES, {"id": theirs})["data"]["webhookDeliveries"] == []
    for document in (DELETE, ROTATE, ENABLE):
        answer = keys["rival"](document, {"id": theirs})
        (payload,) = answer["data"].values()
        # then it is NOT_FOUND, as an ID that never existed is
        assert codes(payload) == ["NOT_FOUND"], answer
        (never,) = keys["rival"](document, {"id": "wh_0000000000000000"})["data"].values()
        assert never["userErrors"][0]["message"] == payload["userErrors"][0]["message"]
    # and the endpoint is still there for its owner
    assert theirs in [w["id"] for w in keys["partner"](LIST)["data"]["webhooks"]]


def test_an_admin_key_manages_every_endpoint_and_chooses_the_channel(keys):
    theirs = create(keys["partner"])["webhook"]
    # an admin key sees a partner's endpoint, and makes one for any channel
    assert theirs["id"] in [w["id"] for w in keys["admin"](LIST)["data"]["webhooks"]]
    mine = create(keys["admin"], channel="WEB")
    assert mine["userErrors"] == [] and mine["webhook"]["channel"] == "WEB"
    # and deletes the partner's
    assert keys["admin"](DELETE, {"id": theirs["id"]})["data"]["webhookDelete"]["userErrors"] == []
    assert theirs["id"] not in [w["id"] for w in keys["partner"](LIST)["data"]["webhooks"]]
    # an active endpoint is not enabled again
    assert codes(keys["admin"](ENABLE, {"id": mine["webhook"]["id"]})["data"]["webhookEnable"]) == ["NOT_DISABLED"]


def test_a_frontend_key_manages_no_webhook(keys):
    answer = keys["shop"](CREATE, {"input": {"url": URL, "events": ["STOCK"]}})
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    listed = keys["shop"](LIST)
    assert listed["data"] == {"webhooks": []} and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("url", [
    "http://partner.example.com/hooks",  # http, not allowed by default
    "ftp://partner.example.com/hooks",
    "https://user:secret@partner.example.com/hooks",
    "https:///no-host",
    "https://partner.example.com/" + "a" * 2_000,
    "https://partner.example.com/hooks with space",
])
def test_urls_refused(keys, url):
    refused = create(keys["partner"], url=url)
    assert codes(refused) == ["INVALID_URL"] and refused["userErrors"][0]["field"] == ["input", "url"]


def test_no_events_refused(keys):
    answer = keys["partner"](CREATE, {"input": {"url": URL, "events": []}})
    assert codes(answer["data"]["webhookCreate"]) == ["INVALID_EVENTS"]


def test_a_key_has_at_most_so_many_endpoints(keys):
    limit = WebhookSettings().max_endpoints_per_key
    for _ in range(limit):
        assert create(keys["rival"])["userErrors"] == []
    assert codes(create(keys["rival"])) == ["TOO_MANY_ENDPOINTS"]


def test_a_marketplace_key_stored_with_every_scope_still_manages_only_its_own(gateway, mongo_url, keys):
    # given a marketplace key whose stored record was given every scope (keys:admin among them)
    raw = issue_key(mongo_url, "marketplace", name="tampered")
    with MongoClient(mongo_url) as client:
        client[MongoSettings().database]["api_keys"].update_one(
            {"_id": raw.split("_")[1]}, {"$set": {"scopes": [s.value for s in Scope]}})
    theirs = create(keys["partner"])["webhook"]["id"]
    tampered = GraphQLClient(gateway, raw)
    try:
        # then it acts as a marketplace key: its own endpoints only, its own channel only
        assert tampered(LIST)["data"]["webhooks"] == []
        assert codes(tampered(DELETE, {"id": theirs})["data"]["webhookDelete"]) == ["NOT_FOUND"]
        assert codes(create(tampered, channel="WEB")) == ["CHANNEL_NOT_ALLOWED"]
    finally:
        tampered.http.close()


def test_stock_events_only_for_a_key_that_may_read_stock(gateway, mongo_url):
    # given a store key bound to STORE that may manage webhooks but not read stock
    raw = issue_key(mongo_url, "frontend", name="pos feed", channel=Channel.STORE,
                    scopes=(Scope.CATALOG_READ, Scope.WEBHOOKS_MANAGE), **UNLIMITED)
    client = GraphQLClient(gateway, raw)
    try:
        # then it may hear of prices in its channel, not of quantities
        refused = client(CREATE, {"input": {"url": URL, "events": ["STOCK", "PRICE"]}})["data"]["webhookCreate"]
        assert codes(refused) == ["INVALID_EVENTS"] and "stock:read" in refused["userErrors"][0]["message"]
        made = client(CREATE, {"input": {"url": URL, "events": ["PRICE"]}})["data"]["webhookCreate"]
        assert made["userErrors"] == [] and made["webhook"]["channel"] == "STORE"
    finally:
        client.http.close()
