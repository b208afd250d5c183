"""The demo lets partner webhooks reach a receiver on this machine, as the README has one try them."""

from __future__ import annotations

import os

from gateway.cli import demo_webhooks_env
from gateway.settings import load_settings

FILE = {"CGW_CONFIG": os.devnull}


def test_the_demos_gateway_sends_to_a_local_http_receiver():
    env = demo_webhooks_env(load_settings(environ=FILE), environ={})
    webhooks = load_settings(environ={**FILE, **env}).webhooks
    assert webhooks.allow_http and webhooks.allow_private_targets


def test_the_environment_and_production_keep_their_say():
    said = {**FILE, "CGW_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "false"}
    assert demo_webhooks_env(load_settings(environ=said), environ=said) == {"CGW_WEBHOOKS__ALLOW_HTTP": "true"}
    production = {**FILE, "CGW_SERVER__PRODUCTION": "true", "CGW_AUTH__JWT_SECRET": "x" * 32}
    assert demo_webhooks_env(load_settings(environ=production), environ={}) == {}
