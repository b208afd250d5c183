"""The demo's keys: one per kind at the first start, the same ones at every later start, and a
new one where the store stopped accepting the kept key."""

from __future__ import annotations

import asyncio
import os
import stat

from pathlib import Path

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
