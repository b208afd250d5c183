"""`me { profile }` merged from the ERP's contact, the web-shop's and the app's customer, with the
backend of each field; `customerUpdate` writing to the ERP; and what a customer can never reach."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest

from gateway.settings import AuthSettings
from simulators.customer_history import app_customers, web_shop_customers
from simulators.order_history import order_history
from tests.adapters.test_customers import partner, person_everywhere
from tests.adapters.test_odoo import json2
from tests.conftest import served_gateway

PROFILE = """{ me { profile { email firstName lastName phone acceptsMarketing customerGroups
  addresses { street city zip countryCode } sources { field backend } } } }"""
UPDATE = """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) {
  profile { firstName lastName phone acceptsMarketing addresses { street city countryCode } sources { field backend } }
  userErrors { code field message } } }"""


def token(customer_id: str, email: str | None = None, verified: bool = True) -> dict:
    claims: dict = {"sub": customer_id, "exp": int(time.time()) + 300}
    if email is not None:
        claims |= {"email": email, "email_verified": verified}
    return {"Authorization": f"Bearer {jwt.encode(claims, AuthSettings().jwt_secret, algorithm='HS256')}"}


def sources(profile: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for s in profile["sources"]:
        found.setdefault(s["field"], set()).add(s["backend"])
    return found


def backend_errors(answer: dict) -> set[tuple[tuple, str, str]]:
    return {(tuple(e["path"]), e["extensions"]["code"], e["extensions"].get("backend")) for e in answer.get("errors", [])}


def test_the_profile_is_the_erp_contact_first_with_the_backend_of_each_field(gql, catalog):
    # given a customer the ERP, the web-shop and the app know, whose ERP contact has no phone
    lacking = {p.index for p in order_history(catalog).customers if p.index % 11 == 5}
    web = {c.person.index: c for c in web_shop_customers(catalog) if c.person.index in lacking}
    person = order_history(catalog).customers[min(web)]
    # when they read their profile with their verified e-mail
    answer = gql(PROFILE, headers=token(person.ref, person.email))
    # then name and address come from the ERP, the phone from the web-shop, which has one
    profile = answer["data"]["me"]["profile"]
    assert "errors" not in answer
    assert (profile["email"], profile["firstName"], profile["lastName"]) == (
        person.email, person.first_name, person.last_name)
    assert profile["phone"] == web[person.index].phone
    assert profile["acceptsMarketing"] is person.accepts_marketing
    assert profile["addresses"][0] == {"street": person.street, "city": person.city, "zip": person.zip,
                                       "countryCode": person.country_code}
    found = sources(profile)
    assert found["firstName"] == found["lastName"] == found["addresses"] == found["acceptsMarketing"] == {"odoo"}
    assert found["phone"] == {"woocommerce"}


def test_customer_groups_come_from_the_app_backend(gql, catalog):
    vip = next(c for c in app_customers(catalog) if c.group and c.in_erp)
    profile = gql(PROFILE, headers=token(vip.person.ref, vip.person.email))["data"]["me"]["profile"]
    assert "VIP" in profile["customerGroups"] and "medusa" in sources(profile)["customerGroups"]


@pytest.mark.parametrize(("down", "code"), [("woocommerce", "BACKEND_UNAVAILABLE"), ("medusa", "BACKEND_UNAVAILABLE")])
def test_a_shop_backend_down_leaves_the_rest_of_the_profile_and_is_named(gql, simulators, catalog, down, code):
    person, _, _ = person_everywhere(catalog)
    simulators[down].faults(down=True)
    answer = gql(PROFILE, headers=token(person.ref, person.email))
    profile = answer["data"]["me"]["profile"]
    assert (profile["firstName"], profile["lastName"]) == (person.first_name, person.last_name)
    assert backend_errors(answer) == {(("me", "profile"), code, down)}
    assert down not in {b for backends in sources(profile).values() for b in backends}


def test_with_the_erp_down_the_profile_comes_from_the_shops_and_the_erp_is_named(gql, simulators, catalog):
    person, web, _ = person_everywhere(catalog)
    simulators["odoo"].faults(down=True)
    answer = gql(PROFILE, headers=token(person.ref, person.email))
    profile = answer["data"]["me"]["profile"]
    assert (profile["firstName"], profile["lastName"]) == (web.first_name, person.last_name)
    assert sources(profile)["firstName"] == {"woocommerce"}
    assert backend_errors(answer) == {(("me", "profile"), "BACKEND_UNAVAILABLE", "odoo")}


def test_an_unverified_email_reaches_nothing_of_its_owner(gql, catalog):
    # given someone else's address, claimed but not verified, by a new customer
    person, _, _ = person_everywhere(catalog)
    answer = gql(PROFILE + "", headers=token(f"cust-{uuid.uuid4().hex[:8]}", person.email, verified=False))
    # then nothing of the owner's is answered
    profile = answer["data"]["me"]["profile"]
    assert profile == {"email": None, "firstName": None, "lastName": None, "phone": None, "acceptsMarketing": None,
                       "customerGroups": [], "addresses": [], "sources": []}


def test_a_verified_email_reaches_the_shop_records_of_someone_the_erp_does_not_know(gql, catalog):
    only_web = next(c for c in web_shop_customers(catalog) if not c.in_erp)
    profile = gql(PROFILE, headers=token(f"cust-{uuid.uuid4().hex[:8]}", only_web.email))["data"]["me"]["profile"]
    assert (profile["email"], profile["lastName"]) == (only_web.email, only_web.person.last_name)
    assert sources(profile)["lastName"] == {"woocommerce"}


def test_a_marketplace_key_sees_no_profile(client_with_key, catalog):
    person, _, _ = person_everywhere(catalog)
    answer = client_with_key("marketplace")(PROFILE, headers=token(person.ref, person.email))
    assert answer["data"] is None or answer["data"]["me"] is None
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}


def test_without_the_app_key_the_profile_says_the_app_backend_is_not_read(simulators, mongo_url, api_key, catalog):
    person, _, _ = person_everywhere(catalog)
    with served_gateway(simulators, mongo_url, CGW_BACKENDS__MEDUSA__SECRET_API_KEY="") as url:
        answer = httpx.post(f"{url}/graphql", json={"query": PROFILE}, timeout=30,
                            headers={"X-API-Key": api_key, **token(person.ref, person.email)}).json()
    assert answer["data"]["me"]["profile"]["lastName"] == person.last_name
    [error] = answer["errors"]
    assert (error["extensions"]["code"], error["extensions"]["backend"]) == ("BACKEND_UNAVAILABLE", "medusa")
    assert "not configured" in error["message"]


# customerUpdate

def test_an_update_reaches_the_erp_and_answers_the_merged_profile(gql, simulators, catalog):
    person = order_history(catalog).customers[60]
    answer = gql(UPDATE, {"input": {"lastName": "Hopper", "phone": "+49 40 123456", "acceptsMarketing": True,
                                    "address": {"street": "Jungfernstieg 1", "city": "Hamburg", "zip": "20095",
                                                "countryCode": "de"}}},
                 headers=token(person.ref, person.email))
    payload = answer["data"]["customerUpdate"]
    assert payload["userErrors"] == []
    assert (payload["profile"]["lastName"], payload["profile"]["phone"]) == ("Hopper", "+49 40 123456")
    assert payload["profile"]["addresses"][0] == {"street": "Jungfernstieg 1", "city": "Hamburg", "countryCode": "DE"}
    # and Odoo holds it, read through its own API
    written = partner(simulators["odoo"].url, person.ref)
    assert (written["name"], written["phone"], written["x_accepts_marketing"], written["street"]) == (
        f"{person.first_name} Hopper", "+49 40 123456", True, "Jungfernstieg 1")


def test_a_customer_without_a_contact_gets_one_with_their_id(gql, simulators):
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    payload = gql(UPDATE, {"input": {"firstName": "Grace", "lastName": "Hopper"}},
                  headers=token(customer, f"{customer}@example.com"))["data"]["customerUpdate"]
    assert payload["userErrors"] == [] and payload["profile"]["firstName"] == "Grace"
    assert partner(simulators["odoo"].url, customer)["name"] == "Grace Hopper"


def test_concurrent_first_updates_make_one_contact(gql, simulators):
    # given a customer the ERP does not know, updating from six tabs at once
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    names = [f"Ada{i}" for i in range(6)]
    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(lambda name: gql(UPDATE, {"input": {"firstName": name}},
                                                 headers=token(customer, f"{customer}@example.com")), names))
    # then every update lands, on one contact, the last written winning
    assert all(a["data"]["customerUpdate"]["userErrors"] == [] for a in answers)
    found = json2(simulators["odoo"].url, "res.partner", "search_read", domain=[["ref", "=", customer]],
                  fields=["name"])
    assert len(found) == 1 and found[0]["name"].split()[0] in names


@pytest.mark.parametrize(("given", "code", "field"), [
    ({"phone": "call me maybe"}, "INVALID_PHONE", ["input", "phone"]),
    ({"phone": "+1 2"}, "INVALID_PHONE", ["input", "phone"]),
    ({"firstName": "A" * 81}, "NAME_TOO_LONG", ["input", "firstName"]),
    ({"firstName": "A" * 50_000}, "NAME_TOO_LONG", ["input", "firstName"]),
    ({"lastName": "Evil\u202eeiv"}, "INVALID_NAME", ["input", "lastName"]),  # a right-to-left override
    ({"lastName": "Null\x00Byte"}, "INVALID_NAME", ["input", "lastName"]),
    ({"firstName": "  "}, "INVALID_NAME", ["input", "firstName"]),
    ({"address": {"countryCode": "Germany"}}, "INVALID_ADDRESS", ["input", "address", "countryCode"]),
    ({"address": {"street": "x" * 121}}, "INVALID_ADDRESS", ["input", "address", "street"]),
    ({}, "NOTHING_TO_UPDATE", ["input"]),
])
def test_bad_input_is_refused_with_a_code_and_nothing_is_written(gql, simulators, catalog, given, code, field):
    person = order_history(catalog).customers[61]
    before = partner(simulators["odoo"].url, person.ref)
    payload = gql(UPDATE, {"input": given}, headers=token(person.ref, person.email))["data"]["customerUpdate"]
    assert payload["profile"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert partner(simulators["odoo"].url, person.ref) == before


def test_odd_but_real_names_are_kept_as_written(gql, simulators, catalog):
    person = order_history(catalog).customers[62]
    payload = gql(UPDATE, {"input": {"firstName": "Zoë", "lastName": "O'Brien-Łukasiewicz"}},
                  headers=token(person.ref, person.email))["data"]["customerUpdate"]
    assert (payload["profile"]["firstName"], payload["profile"]["lastName"]) == ("Zoë", "O'Brien-Łukasiewicz")


def test_a_guest_has_no_profile_to_update(gql):
    payload = gql(UPDATE, {"input": {"firstName": "Nobody"}})["data"]["customerUpdate"]
    assert [e["code"] for e in payload["userErrors"]] == ["CUSTOMER_REQUIRED"]


def test_a_marketplace_key_cannot_update_a_profile(client_with_key, catalog):
    person = order_history(catalog).customers[63]
    answer = client_with_key("marketplace")(UPDATE, {"input": {"firstName": "Mallory"}},
                                            headers=token(person.ref, person.email))
    assert answer["data"] is None and answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
