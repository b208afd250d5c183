"""CORS: browser frontends on the configured origins may call the API; others get no CORS headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.settings import SettingsError, load_settings
from tests.conftest import served_gateway

SHOP = "https://shop.example.com"


@pytest.fixture(scope="module")
def with_cors(simulators, mongo_url) -> Iterator[str]:
    with served_gateway(simulators, mongo_url, CGW_SERVER__CORS_ORIGINS=f'["{SHOP}"]') as url:
        yield url


def test_a_configured_origin_may_preflight_and_post(with_cors, api_key):
    preflight = httpx.options(f"{with_cors}/graphql", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization, x-channel, x-api-key"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    answer = httpx.post(f"{with_cors}/graphql", json={"query": "{ channels { code } }"},
                        headers={"Origin": SHOP, "X-API-Key": api_key})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SHOP
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert {"x-request-id", "ratelimit", "ratelimit-policy", "retry-after"} <= set(map(str.strip, exposed.split(",")))


def test_another_origin_gets_no_cors_headers(with_cors, api_key):
    answer = httpx.post(f"{with_cors}/graphql", json={"query": "{ channels { code } }"},
                        headers={"Origin": "https://evil.example.net", "X-API-Key": api_key})
    assert "access-control-allow-origin" not in answer.headers
    preflight = httpx.options(f"{with_cors}/graphql", headers={
        "Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 400


def test_by_default_no_origin_is_allowed(gql):
    answer = gql.post("{ channels { code } }", headers={"Origin": SHOP})
    assert "access-control-allow-origin" not in answer.headers


def test_an_origin_with_a_path_is_a_bad_setting():
    with pytest.raises(SettingsError, match="server.cors_origins"):
        load_settings("/dev/null", {"CGW_SERVER__CORS_ORIGINS": '["https://shop.example.com/app"]'})
