"""A marketplace key never reaches a customer's data, even one stored with more scopes than a
marketplace key may hold (written by hand, or by an older gateway): it acts with catalog:read and
stock:read only, whatever its record says."""

from __future__ import annotations


from pymongo import MongoClient

from domain.api_keys import Scope
from gateway.identity import issue_token
from gateway.settings import AuthSettings, MongoSettings
from tests.conftest import GraphQLClient, issue_key

ME = "{ me { id cart { id } } }"


def test_a_marketplace_key_stored_with_every_scope_sees_no_customer(gateway, mongo_url):
    # given a marketplace key whose stored record was given every scope, and a customer's valid token
    raw = issue_key(mongo_url, "marketplace")
    with MongoClient(mongo_url) as client:
        client[MongoSettings().database]["api_keys"].update_one(
            {"_id": raw.split("_")[1]}, {"$set": {"scopes": [s.value for s in Scope]}})
    token = issue_token("cust-0001", AuthSettings(), ttl_seconds=600, email="jose.lindqvist.1@example.com")
    # when it asks for the customer
    client = GraphQLClient(gateway, raw)
    try:
        answer = client(ME, headers={"Authorization": f"Bearer {token}"})
    finally:
        client.http.close()
    # then nothing of the customer comes back: FORBIDDEN at `me`
    assert answer["data"] == {"me": None}
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
