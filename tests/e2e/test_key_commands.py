"""`commerce-gateway keys` round trip on an embedded store file: create, check, list, rotate, revoke."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from gateway.settings import load_settings
from gateway.wiring import build_services
from resolvers import api_keys

pytestmark = pytest.mark.slow


def keys(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "keys", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def check(env: dict, raw: str):
    async def run():
        async with build_services(load_settings(environ=env)) as built:
            return await api_keys.check(built.keys, raw)

    return asyncio.run(run())


def test_create_list_rotate_revoke(tmp_path):
    env = {**os.environ, "CGW_CONFIG": os.devnull, "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "store.sqlite")}
    env.pop("CGW_MONGO__URL", None)
    created = keys(env, "create", "--name", "Partner", "--kind", "marketplace", "--expires-days", "30", "--json")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["channel"] == "MARKETPLACE" and key["scopes"] == ["catalog:read", "stock:read", "webhooks:manage"]
    assert key["key"].startswith(f"cgw_{key['id']}_")
    assert check(env, key["key"]).name == "Partner"
    assert check(env, key["key"][:-1] + "x") == "unknown"
    assert check(env, "nonsense") == "malformed"
    # the list never shows secrets
    listed = keys(env, "list", "--json")
    assert [k["id"] for k in json.loads(listed.stdout)] == [key["id"]] and key["key"] not in listed.stdout
    # rotating replaces the secret
    rotated = json.loads(keys(env, "rotate", key["id"], "--json").stdout)
    assert check(env, key["key"]) == "unknown" and check(env, rotated["key"]).key_id == key["id"]
    # revoking stops it, and says so
    assert keys(env, "revoke", key["id"]).returncode == 0
    assert check(env, rotated["key"]) == "revoked"


def test_bad_requests_are_refused_with_a_message(tmp_path):
    env = {**os.environ, "CGW_CONFIG": os.devnull, "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "store.sqlite")}
    env.pop("CGW_MONGO__URL", None)
    wrong = keys(env, "create", "--name", "X", "--kind", "marketplace", "--channel", "WEB")
    assert wrong.returncode == 2 and "bound to the MARKETPLACE channel" in wrong.stderr
    scope = keys(env, "create", "--name", "X", "--kind", "frontend", "--scope", "everything")
    assert scope.returncode == 2 and "--scope: one of" in scope.stderr
    unknown = keys(env, "revoke", "nope")
    assert unknown.returncode == 2 and "no key with id nope" in unknown.stderr
