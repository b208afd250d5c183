"""The demo's keys: one per kind at the first start, the same ones at every later start, and a
new one where the store stopped accepting the kept key."""

from __future__ import annotations

import asyncio
import os
import stat

from gateway.demo_keys import ensure_demo_keys
from gateway.key_commands import key_store
from gateway.settings import MongoSettings, load_settings
from resolvers import api_keys


def test_demo_keys_are_made_once_and_kept(mongo_url, tmp_path):
    kept_in = tmp_path / "var" / "demo-keys.json"
    database = MongoSettings().database
    first = asyncio.run(ensure_demo_keys(mongo_url, database, kept_in))
    assert list(first) == ["frontend", "mobile", "marketplace", "admin"]
    assert stat.S_IMODE(kept_in.stat().st_mode) == 0o600
    assert asyncio.run(ensure_demo_keys(mongo_url, database, kept_in)) == first

    async def revoke_and_check(raw: str) -> object:
        async with key_store(load_settings(environ={"CGW_MONGO__URL": mongo_url, "CGW_CONFIG": os.devnull})) as store:
            await api_keys.revoke(store, raw.split("_")[1], "test")
            return await api_keys.check(store, raw)

    assert asyncio.run(revoke_and_check(first["mobile"])) == "revoked"
    again = asyncio.run(ensure_demo_keys(mongo_url, database, kept_in))
    assert again["mobile"] != first["mobile"] and again["frontend"] == first["frontend"]
