"""Global IDs, cursors and settings validation."""

from __future__ import annotations

import pytest

from domain.errors import BadUserInput
from gateway.settings import SettingsError, load_settings
from resolvers import cursors, global_ids


def test_global_ids_round_trip_and_are_opaque():
    encoded = global_ids.encode("Product", "CG-000001")
    assert "CG-000001" not in encoded
    assert global_ids.decode(encoded) == ("Product", "CG-000001")
    assert global_ids.encode("Product", "CG-000001") == encoded  # stable: no process state


@pytest.mark.parametrize("bad", ["", "x", "!!!", global_ids.encode("Order", "1").replace("T3", "T4"),
                                 "UHJvZHVjdA"])
def test_foreign_ids_are_bad_input(bad):
    with pytest.raises(BadUserInput):
        global_ids.decode(bad)


def test_cursors_round_trip_and_reject_anything_else():
    assert cursors.decode_offset(cursors.encode_offset(41)) == 41
    for bad in ("abc", cursors.encode_offset(-1), "Y2d3MTp4"):
        with pytest.raises(BadUserInput):
            cursors.decode_offset(bad)


def test_settings_defaults_are_valid_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no commerce-gateway.toml here
    settings = load_settings(environ={})
    assert settings.server.port == 8000
    assert settings.channels["STORE"].pricelist_id == 2
    backends = [getattr(settings.backends, name) for name in ("woocommerce", "medusa", "odoo", "ebay")]
    assert {b.max_connections for b in backends} == {100}  # per backend and process
    assert settings.backends.http_transport == "aiohttp"


@pytest.mark.parametrize(("environ", "message"), [
    ({"CGW_SERVER__PORT": "0"}, "server.port: must be 1..65535"),
    ({"CGW_SERVER__PORT": "eighty"}, "server.port: expected int"),
    ({"CGW_BACKENDS__ODOO__TRANSPORT": "soap"}, "backends.odoo.transport: must be one of json2, jsonrpc"),
    ({"CGW_BACKENDS__ODOO__PRODUCT_SKU_FIELD": "default code"}, "backends.odoo.product_sku_field: the name of a"),
    ({"CGW_BACKENDS__ODOO__PRODUCT_SKU_FALLBACK": "name"}, "backends.odoo.product_sku_fallback: must be one of"),
    ({"CGW_BACKENDS__EBAY__BASE_URL": "ftp://x"}, "backends.ebay.base_url: must start with http"),
    ({"CGW_BACKENDS__MEDUSA__MAX_CONNECTIONS": "0"}, "backends.medusa.max_connections: must be at least 1"),
    ({"CGW_BACKENDS__EBAY__RETRIES": "-1"}, "backends.ebay.retries: must be within 0..10"),
    ({"CGW_BACKENDS__ODOO__BREAKER_FAILURES": "-1"}, "backends.odoo.breaker_failures: must be 0 (no breaker)"),
    ({"CGW_BACKENDS__WOOCOMMERCE__BREAKER_COOLDOWN_SECONDS": "0"},
     "backends.woocommerce.breaker_cooldown_seconds: must be above 0"),
    ({"CGW_BACKENDS__MEDUSA__FAN_OUT_CONCURRENCY": "0"}, "backends.medusa.fan_out_concurrency: must be at least 1"),
    ({"CGW_CHANNELS__WEB__CURRENCY": "euro"}, "channels.WEB.currency"),
    ({"CGW_CATALOG__OWNERSHIP__TITLE": '["shopify"]'}, "catalog.ownership.title"),
    ({"CGW_CATALOG__DEFAULT_CHANNEL": "FAX"}, "catalog.default_channel: unknown channel"),
    ({"CGW_MONGO__URLL": "x"}, "mongo.urll: unknown setting"),
    ({"CGW_SERVER__WORKERS": "0"}, "server.workers: must be at least 1"),
    ({"CGW_METRICS__PORT": "8000"}, "metrics.port: 0 (the gateway's port) or another port"),
    ({"CGW_METRICS__MAX_OPERATION_NAMES": "-1"}, "metrics.max_operation_names: must be 0 or more"),
    ({"CGW_CACHE__ANSWER_CACHE_BYTES": "-1"}, "cache.answer_cache_bytes: must be 0 or more"),
    ({"CGW_CACHE__ANSWER_CACHE_KEY_SHARE": "0"}, "cache.answer_cache_key_share: must be within (0, 1]"),
    ({"CGW_CACHE__INVALIDATION_POLL_SECONDS": "-2"}, "cache.invalidation_poll_seconds: must be 0 or more"),
    ({"CGW_BACKENDS__EBAY__REFRESH_TOKEN": "v^1.1#r"}, "backends.ebay.client_id: required with backends.ebay.refresh_token"),
    ({"CGW_BACKENDS__EBAY__REFRESH_TOKEN": "v^1.1#r", "CGW_BACKENDS__EBAY__CLIENT_ID": "app"},
     "backends.ebay.client_secret: required with backends.ebay.refresh_token"),
    ({"CGW_BACKENDS__EBAY__REFRESH_TOKEN": "v^1.1#r", "CGW_BACKENDS__EBAY__CLIENT_ID": "app",
      "CGW_BACKENDS__EBAY__CLIENT_SECRET": "cert", "CGW_BACKENDS__EBAY__SCOPES": "[]"}, "backends.ebay.scopes: the OAuth"),
    ({"CGW_BACKENDS__EBAY__ACCESS_TOKEN": ""}, "backends.ebay.access_token: required unless backends.ebay.refresh_token"),
    ({"CGW_HOLDS__CHECKOUT_MINUTES": "-1"}, "holds.checkout_minutes: must be 0 (no holds) or more"),
    ({"CGW_HOLDS__ON_ADD": "true", "CGW_HOLDS__CHECKOUT_MINUTES": "0"}, "holds.on_add: needs holds at checkout"),
    ({"CGW_HOLDS__CART_MINUTES": "0"}, "holds.cart_minutes: must be above 0"),
    ({"CGW_HOLDS__ON_ADD_MAX_UNITS": "0"}, "holds.on_add_max_units: must be at least 1"),
])
def test_bad_settings_name_the_key_and_the_problem(environ, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"CGW_CONFIG": "/dev/null", **environ})
    assert message in str(raised.value)


def test_ebay_secrets_stay_out_of_the_settings_repr():
    settings = load_settings(environ={"CGW_CONFIG": "/dev/null", "CGW_BACKENDS__EBAY__CLIENT_ID": "app-id",
                                      "CGW_BACKENDS__EBAY__CLIENT_SECRET": "cert-secret",
                                      "CGW_BACKENDS__EBAY__REFRESH_TOKEN": "v^1.1#refresh"})
    shown = repr(settings)
    assert "app-id" in shown and "cert-secret" not in shown and "v^1.1#refresh" not in shown
    assert "ebay-demo-token" not in shown


def test_a_file_with_overrides_from_the_environment(tmp_path):
    path = tmp_path / "gw.toml"
    path.write_text('[server]\nport = 9000\n[channels.APP]\ncurrency = "CHF"\n')
    settings = load_settings(environ={"CGW_CONFIG": str(path), "CGW_SERVER__PORT": "9100"})
    assert settings.server.port == 9100
    assert settings.channels["APP"].currency == "CHF"
    assert settings.channels["APP"].price_source == "app"  # other keys keep the channel's defaults


def test_a_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"CGW_CONFIG": str(tmp_path / "missing.toml")})


def test_invalid_toml_is_an_error(tmp_path):
    path = tmp_path / "gw.toml"
    path.write_text("[server\nport = 1")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(environ={"CGW_CONFIG": str(path)})


def test_graphql_response_json_is_chosen_only_when_ranked_at_least_as_high_as_json():
    from gateway.graphql_view import prefers_graphql_response_json as prefers

    assert prefers("application/graphql-response+json")
    assert prefers("application/graphql-response+json, application/json;q=0.9")
    assert not prefers("application/json")
    assert not prefers("")
    assert not prefers("*/*")
    assert not prefers("application/json, application/graphql-response+json;q=0.5")
    assert not prefers("application/graphql-response+json;q=0")
