"""The demo's keys: one per kind at the first start, the same ones at every later start, and a
new one where the store stopped accepting the kept key."""

from __future__ import annotations

import asyncio
import json
import os
import stat

from pathlib import Path

from domain.api_keys import KeyKind, Scope
from gateway.demo_keys import ensure_demo_keys
from gateway.settings import load_settings
from gateway.wiring import build_services
from resolvers import api_keys


def test_demo_keys_are_made_once_and_kept(mongo_url, tmp_path):
    kept_in = tmp_path / "var" / "demo-keys.json"
    settings = load_settings(environ={"CGW_MONGO__URL": mongo_url, "CGW_CONFIG": os.devnull})

    async def demo_keys(path: Path) -> dict[str, str]:  # as the demo makes them
        async with build_services(settings) as built:
            return await ensure_demo_keys(built.keys, path)

    first = asyncio.run(demo_keys(kept_in))
    assert list(first) == ["frontend", "mobile", "marketplace", "admin"]
    assert stat.S_IMODE(kept_in.stat().st_mode) == 0o600
    assert asyncio.run(demo_keys(kept_in)) == first

    async def revoke_and_check(raw: str) -> object:
        async with build_services(settings) as built:
            await api_keys.revoke(built.keys, raw.split("_")[1], "test")
            return await api_keys.check(built.keys, raw)

    assert asyncio.run(revoke_and_check(first["mobile"])) == "revoked"
    again = asyncio.run(demo_keys(kept_in))
    assert again["mobile"] != first["mobile"] and again["frontend"] == first["frontend"]


def test_a_kept_demo_key_with_older_scopes_is_replaced(mongo_url, tmp_path):
    # given a frontend key kept by an older demo, made before the customer scopes existed
    kept_in = tmp_path / "var" / "demo-keys.json"
    settings = load_settings(environ={"CGW_MONGO__URL": mongo_url, "CGW_CONFIG": os.devnull})

    async def start_with_an_old_key() -> tuple[str, dict[str, str], object]:
        async with build_services(settings) as built:
            _, old = await api_keys.issue(built.keys, api_keys.KeySpec(
                "demo frontend", KeyKind.FRONTEND, scopes=(Scope.CATALOG_READ, Scope.CART_WRITE)), "demo")
            kept_in.parent.mkdir(parents=True, exist_ok=True)
            kept_in.write_text(json.dumps({"frontend": old}))
            kept = await ensure_demo_keys(built.keys, kept_in)
            return old, kept, await api_keys.check(built.keys, old)

    old, kept, old_now = asyncio.run(start_with_an_old_key())
    # then the demo starts with a new frontend key holding today's defaults, and the old one is revoked
    assert kept["frontend"] != old and old_now == "revoked"
