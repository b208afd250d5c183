"""HTTP caching of queries over GET: Cache-Control by what the query touched, a strong ETag and
304 on If-None-Match, and Vary so that a shared cache never mixes keys or channels."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.test_persisted_queries import apq

CONTENT = '{ product(sku: "CG-000004") { sku title brand } }'
PRICES = '{ product(sku: "CG-000007") { sku variants { price { amount currencyCode } } } }'
STOCK = '{ product(sku: "CG-000004") { sku variants { quantityAvailable } } }'
CART = '{ cart(id: "Q2FydDpub25l") { id } }'


def get(gql, query: str, **headers: str) -> httpx.Response:
    return gql.http.get("/graphql", params={"query": query}, headers=headers)


@pytest.mark.parametrize(("query", "policy"), [
    (CONTENT, "public, max-age=300"),
    (PRICES, "public, max-age=60"),
    (STOCK, "public, max-age=10"),
    ("{ channels { code } }", "public, max-age=300"),
    (CART, "private, no-store"),
    ('{ me { id } }', "private, no-store"),
])
def test_cache_control_follows_what_the_query_touched(gql, query, policy):
    response = get(gql, query)
    assert response.status_code == 200
    assert response.headers["cache-control"] == policy
    assert response.headers["vary"] == "Accept, Accept-Language, X-API-Key, X-Channel"
    assert ("etag" in response.headers) == policy.startswith("public")


def test_answers_with_errors_and_posts_are_not_cached(gql, simulators):
    simulators["woocommerce"].faults(down=True)
    partial = get(gql, CONTENT)
    assert partial.json()["errors"] and partial.headers["cache-control"] == "no-store"
    simulators["woocommerce"].heal()
    assert "cache-control" not in gql.post(CONTENT).headers


def test_etag_and_304(gql):
    first = get(gql, CONTENT)
    etag = first.headers["etag"]
    assert etag.startswith('"') and "remaining" not in first.json()["extensions"]["cost"]["budget"]
    # the same answer has the same strong ETag, and revalidates with 304 and no body
    assert get(gql, CONTENT).headers["etag"] == etag
    revalidated = get(gql, CONTENT, **{"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.content == b""
    assert revalidated.headers["etag"] == etag and revalidated.headers["cache-control"] == "public, max-age=300"
    assert get(gql, CONTENT, **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert get(gql, CONTENT, **{"If-None-Match": '"other"'}).status_code == 200
    # a persisted query by hash revalidates the same way
    by_hash = gql.http.get("/graphql", params={"query": CONTENT, "extensions": json.dumps(apq(CONTENT))})
    assert by_hash.headers["etag"] == etag


def test_two_keys_bound_to_different_channels_never_share_an_entry(gql, client_with_key):
    marketplace = client_with_key("marketplace")
    web, market = get(gql, PRICES), get(marketplace, PRICES)
    # different answers: different validators, and Vary names the header that tells them apart
    assert web.json()["data"] != market.json()["data"]
    assert web.headers["etag"] != market.headers["etag"]
    assert "X-API-Key" in web.headers["vary"] and "X-Channel" in web.headers["vary"]
    assert get(marketplace, PRICES, **{"If-None-Match": web.headers["etag"]}).status_code == 200
