"""API keys over HTTP: every state of a key per client kind (401 saying which), the scope matrix
(FORBIDDEN on the field, partial data for the rest), channel binding, and key management through
the admin API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from domain.api_keys import Scope
from domain.channels import Channel
from gateway.settings import AuthSettings
from tests.conftest import UNLIMITED, GraphQLClient, issue_key

KINDS = ("frontend", "mobile", "marketplace", "admin")
CHANNELS = "{ channels { code } }"


@pytest.fixture(scope="module")
def admin(gateway, mongo_url) -> Iterator[GraphQLClient]:
    client = GraphQLClient(gateway, issue_key(mongo_url, "admin", name="ops console", **UNLIMITED))
    yield client
    client.http.close()


def post(gateway: str, key: str | None, query: str = CHANNELS, **headers: str) -> httpx.Response:
    return httpx.post(f"{gateway}/graphql", json={"query": query},
                      headers={**({"X-API-Key": key} if key is not None else {}), **headers})


def unauthenticated(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'APIKey header="X-API-Key"'
    answer = response.json()
    assert answer.get("data") is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    return error["message"]


def revoke(admin: GraphQLClient, key: str) -> None:
    answer = admin("mutation($id: String!) { apiKeyRevoke(keyId: $id) { apiKey { state } userErrors { code } } }",
                   {"id": key.split("_")[1]})
    assert answer["data"]["apiKeyRevoke"] == {"apiKey": {"state": "REVOKED"}, "userErrors": []}


@pytest.mark.parametrize("kind", KINDS)
def test_each_key_state_per_kind(gateway, mongo_url, admin, kind):
    valid = issue_key(mongo_url, kind)
    assert post(gateway, valid).json()["data"]["channels"]

    key_id, secret = valid.split("_", 2)[1:]
    wrong_secret = unauthenticated(post(gateway, f"cgw_{key_id}_{secret[::-1]}"))
    unknown_id = unauthenticated(post(gateway, f"cgw_{'0' * 12}_{secret}"))
    assert wrong_secret == unknown_id == "The API key is not valid."  # nothing tells whether an id exists
    assert "malformed" in unauthenticated(post(gateway, f"cgw_{key_id}"))
    assert "No API key" in unauthenticated(post(gateway, None))

    # a key issued two days ago: valid for three days it still works, valid for one it has expired
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    assert post(gateway, issue_key(mongo_url, kind, issued_at=two_days_ago, expires_in_days=3)).status_code == 200
    expired = issue_key(mongo_url, kind, issued_at=two_days_ago, expires_in_days=1)
    assert unauthenticated(post(gateway, expired)) == "The API key has expired."

    revoke(admin, valid)
    assert unauthenticated(post(gateway, valid)) == "The API key has been revoked."


def test_a_refused_key_is_refused_before_anything_runs(gateway, simulators):
    for sim in simulators.values():
        sim.reset_stats()
    unauthenticated(post(gateway, None, '{ products(first: 5) { nodes { sku variants { price { amount } } } } }'))
    assert all(not sim.stats() for sim in simulators.values())


# one probe per scope: the operation, the path that answers FORBIDDEN without the scope, and
# what that path holds then (null or an empty list; a mutation's non-null payload nulls `data`)
ME_ORDERS = "{ me { id orders(first: 1) { nodes { id } } } }"
PROBES = {
    "catalog:read": (CHANNELS, ["channels"], []),
    "stock:read": ('{ product(sku: "CG-000001") { sku totalInventory } }', ["product", "totalInventory"], None),
    "cart:write": ("mutation { cartCreate(input: {}) { cart { id } } }", ["cartCreate"], None),
    "checkout:write": ('mutation { cartCheckout(cartId: "Q2FydDpub25l", input: {email: "a@b.example", '
                       'paymentReference: "psp-1"}, idempotencyKey: "k") { userErrors { code } } }', ["cartCheckout"], None),
    "orders:read": (ME_ORDERS, ["me", "orders"], None),
    "keys:admin": ("{ apiKeys { keyId } }", ["apiKeys"], []),
}
FRONTEND_SCOPES = ("catalog:read", "stock:read", "cart:write", "checkout:write", "orders:read")


def customer() -> dict[str, str]:
    token = jwt.encode({"sub": "scope-matrix", "exp": int(time.time()) + 600}, AuthSettings().jwt_secret,
                       algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def at(data: object, path: list[str]) -> object:
    for step in path:
        data = data[step] if isinstance(data, dict) else None
    return data


@pytest.mark.parametrize("missing", FRONTEND_SCOPES)
def test_scope_matrix_each_scope_refuses_only_its_own_fields(client_with_key, missing):
    client = client_with_key("frontend", scopes=tuple(Scope(s) for s in FRONTEND_SCOPES if s != missing),
                             **UNLIMITED)
    for scope, (query, path, empty) in PROBES.items():
        answer = client(query, headers=customer())
        forbidden = [e for e in answer.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"]
        if scope == "stock:read" and missing == "catalog:read":
            scope, path, empty = missing, ["product"], None  # the product itself is out of reach
        if scope in (missing, "keys:admin"):
            (error,) = forbidden
            assert error["path"] == path and scope in error["message"], answer
            if path[0].startswith("cart"):
                assert answer["data"] is None
            else:
                assert at(answer["data"], path) == empty
        else:
            assert not forbidden, (scope, answer)
    if missing == "stock:read":  # partial data: the product is there next to its refused stock figure
        assert client(PROBES["stock:read"][0])["data"]["product"]["sku"] == "CG-000001"


def test_a_marketplace_key_never_reaches_carts_customers_or_key_management(client_with_key):
    client = client_with_key("marketplace")
    for scope in ("cart:write", "checkout:write", "orders:read", "keys:admin"):
        query, path, _ = PROBES[scope]
        errors = client(query, headers=customer())["errors"]
        assert [(e["extensions"]["code"], e["path"][0]) for e in errors] == [("FORBIDDEN", path[0])]
    answer = client('{ cart(id: "Q2FydDpub25l") { id } }')
    assert answer["data"]["cart"] is None and answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


PRICES = '{ product(sku: "CG-000007") { variants { price { amount currencyCode } } } }'


def test_a_marketplace_key_sees_marketplace_prices_and_cannot_leave_its_channel(gql, client_with_key):
    marketplace = client_with_key("marketplace")
    seen = marketplace(PRICES)["data"]
    assert seen == gql(PRICES.replace("{ product", "query @inContext(channel: MARKETPLACE) { product", 1))["data"]
    assert seen != gql(PRICES.replace("{ product", "query @inContext(channel: WEB) { product", 1))["data"]

    overridden = marketplace(PRICES.replace("{ product", "query @inContext(channel: WEB) { product", 1))
    assert overridden["data"] is None
    assert overridden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "bound to channel MARKETPLACE" in overridden["errors"][0]["message"]

    by_header = marketplace.post(PRICES, headers={"X-Channel": "WEB"}).json()
    assert by_header["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert marketplace(PRICES, headers={"X-Channel": "MARKETPLACE"})["data"] == seen


def test_a_frontend_key_bound_to_the_store_channel_prices_for_the_store(gql, client_with_key):
    pos = client_with_key("frontend", channel=Channel.STORE)
    assert pos(PRICES)["data"] == gql(PRICES, headers={"X-Channel": "STORE"})["data"]
    assert pos(PRICES, headers={"X-Channel": "APP"})["errors"][0]["extensions"]["code"] == "FORBIDDEN"


KEY_FIELDS = "keyId name kind channel scopes requestsPerMinute costPerMinute state expiresAt lastUsedAt"
CREATE = f"""mutation($input: ApiKeyCreateInput!) {{
  apiKeyCreate(input: $input) {{ secret apiKey {{ {KEY_FIELDS} }} userErrors {{ code message }} }} }}"""


def test_key_management_through_the_admin_api_is_recorded(gateway, admin):
    made = admin(CREATE, {"input": {"name": "Partner feed", "kind": "MARKETPLACE", "expiresInDays": 30,
                                    "requestsPerMinute": 120}})["data"]["apiKeyCreate"]
    assert made["userErrors"] == []
    key = made["apiKey"]
    assert (key["kind"], key["channel"], key["state"], key["requestsPerMinute"], key["costPerMinute"]) == \
        ("MARKETPLACE", "MARKETPLACE", "ACTIVE", 120, 60_000)
    assert sorted(key["scopes"]) == ["CATALOG_READ", "STOCK_READ", "WEBHOOKS_MANAGE"] and key["expiresAt"]
    secret = made["secret"]
    assert secret.startswith(f"cgw_{key['keyId']}_") and post(gateway, secret).status_code == 200

    rotated = admin("mutation($id: String!) { apiKeyRotate(keyId: $id) { secret apiKey { keyId } } }",
                    {"id": key["keyId"]})["data"]["apiKeyRotate"]
    assert rotated["apiKey"]["keyId"] == key["keyId"] and rotated["secret"] != secret
    unauthenticated(post(gateway, secret))  # this process forgot the cached key at once
    assert post(gateway, rotated["secret"]).status_code == 200
    revoke(admin, rotated["secret"])

    events = admin("query($id: String) { apiKeyEvents(keyId: $id) { action keyId actor at } }",
                   {"id": key["keyId"]})["data"]["apiKeyEvents"]
    assert [e["action"] for e in events] == ["revoked", "rotated", "created"]
    admin_id = admin.http.headers["X-API-Key"].split("_")[1]
    assert {e["actor"] for e in events} == {f"api-key {admin_id} (ops console)"}

    listed = {k["keyId"]: k for k in admin(f"{{ apiKeys {{ {KEY_FIELDS} }} }}")["data"]["apiKeys"]}
    assert listed[key["keyId"]]["state"] == "REVOKED"


@pytest.mark.parametrize(("change", "code"), [
    ({"kind": "MARKETPLACE", "scopes": ["CART_WRITE"]}, "INVALID_INPUT"),
    ({"kind": "MARKETPLACE", "channel": "WEB"}, "INVALID_INPUT"),
    ({"kind": "FRONTEND", "name": " "}, "INVALID_INPUT"),
    ({"kind": "FRONTEND", "expiresInDays": -1}, "INVALID_INPUT"),
    ({"kind": "FRONTEND", "expiresInDays": 4.8e16}, "INVALID_INPUT"),  # found by make fuzz: was INTERNAL
])
def test_bad_key_requests_are_user_errors(admin, change, code):
    made = admin(CREATE, {"input": {"name": "x", **change}})["data"]["apiKeyCreate"]
    assert made["apiKey"] is None and made["secret"] is None
    assert [e["code"] for e in made["userErrors"]] == [code]


def test_unknown_keys_in_admin_mutations(admin):
    answer = admin('mutation { apiKeyRevoke(keyId: "000000000000") { apiKey { keyId } userErrors { code } } }')
    assert answer["data"]["apiKeyRevoke"] == {"apiKey": None, "userErrors": [{"code": "KEY_NOT_FOUND"}]}


def test_last_use_is_recorded(gateway, mongo_url, admin):
    key = issue_key(mongo_url, "mobile")
    key_id = key.split("_")[1]

    def last_used() -> str | None:
        keys = admin("{ apiKeys { keyId lastUsedAt } }")["data"]["apiKeys"]
        return next(k["lastUsedAt"] for k in keys if k["keyId"] == key_id)

    assert last_used() is None
    post(gateway, key)
    deadline = time.monotonic() + 5
    while last_used() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert last_used() is not None
