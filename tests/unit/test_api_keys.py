"""Key checks: every state a presented key can be in."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from domain.api_keys import ApiKey, KeyEvent, KeyKind, Scope
from domain.channels import Channel
from domain.errors import BadUserInput
from gateway.access import CachedKeyStore
from resolvers import api_keys


class MemoryKeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.log: list[KeyEvent] = []

    async def prepare(self) -> None:
        pass

    async def insert(self, key: ApiKey, event: KeyEvent) -> None:
        self.keys[key.key_id] = key
        self.log.append(event)

    async def get(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    async def all(self) -> list[ApiKey]:
        return list(self.keys.values())

    async def revoke(self, key_id: str, at: datetime, event: KeyEvent) -> bool:
        key = self.keys.get(key_id)
        if key is None or key.revoked_at is not None:
            return False
        self.keys[key_id] = dataclasses.replace(key, revoked_at=at)
        self.log.append(event)
        return True

    async def replace_secret(self, key_id: str, old_sha256: str, new_sha256: str, event: KeyEvent) -> bool:
        key = self.keys.get(key_id)
        if key is None or key.revoked_at is not None or key.secret_sha256 != old_sha256:
            return False
        self.keys[key_id] = dataclasses.replace(key, secret_sha256=new_sha256)
        self.log.append(event)
        return True

    async def touch(self, key_id: str, at: datetime) -> None:
        self.keys[key_id] = dataclasses.replace(self.keys[key_id], last_used_at=at)

    async def events(self, key_id: str | None = None, limit: int = 100) -> list[KeyEvent]:
        return [e for e in reversed(self.log) if key_id in (None, e.key_id)][:limit]


async def test_each_state_of_a_presented_key():
    store = MemoryKeyStore()
    key, full = await api_keys.issue(store, api_keys.KeySpec("App", KeyKind.MOBILE, expires_in_days=1), "ops")
    assert await api_keys.check(store, None) == "missing"
    assert await api_keys.check(store, "cgw_only") == "malformed"
    assert await api_keys.check(store, "cgw_000000000000_secret") == "unknown"
    assert (await api_keys.check(store, full)).key_id == key.key_id
    assert await api_keys.check(store, full, now=datetime.now(UTC) + timedelta(days=2)) == "expired"
    await api_keys.revoke(store, key.key_id, "ops")
    assert await api_keys.check(store, full) == "revoked"
    assert [(e.action, e.actor) for e in await store.events()][::-1] == [("created", "ops"), ("revoked", "ops")]


async def test_only_the_hash_of_the_secret_is_stored():
    store = MemoryKeyStore()
    key, full = await api_keys.issue(store, api_keys.KeySpec("Web", KeyKind.FRONTEND), "ops")
    secret = full.split("_", 2)[2]
    assert secret not in repr(store.keys) and len(key.secret_sha256) == 64


async def test_rotation_replaces_the_secret_and_keeps_the_rest():
    store = MemoryKeyStore()
    key, old = await api_keys.issue(store, api_keys.KeySpec("POS", KeyKind.FRONTEND, channel=Channel.STORE), "ops")
    rotated, new = await api_keys.rotate(store, key.key_id, "ops")
    assert await api_keys.check(store, old) == "unknown"
    assert (await api_keys.check(store, new)).channel == "STORE"
    assert (rotated.scopes, rotated.requests_per_minute) == (key.scopes, key.requests_per_minute)
    await api_keys.revoke(store, key.key_id, "ops")
    with pytest.raises(BadUserInput, match="revoked"):
        await api_keys.rotate(store, key.key_id, "ops")
    with pytest.raises(api_keys.UnknownKey):
        await api_keys.revoke(store, "000000000000", "ops")


async def test_marketplace_keys_are_bound_and_never_reach_carts_or_orders():
    store = MemoryKeyStore()
    key, _ = await api_keys.issue(store, api_keys.KeySpec("Partner", KeyKind.MARKETPLACE), "ops")
    assert key.channel == "MARKETPLACE" and set(key.scopes) == {Scope.CATALOG_READ, Scope.STOCK_READ,
                                                                Scope.WEBHOOKS_MANAGE}
    assert (key.requests_per_minute, key.cost_per_minute) == api_keys.DEFAULT_LIMITS[KeyKind.MARKETPLACE]
    with pytest.raises(BadUserInput, match="MARKETPLACE channel"):
        await api_keys.issue(store, api_keys.KeySpec("P", KeyKind.MARKETPLACE, channel=Channel.WEB), "ops")
    with pytest.raises(BadUserInput, match="only have the scopes"):
        await api_keys.issue(store, api_keys.KeySpec("P", KeyKind.MARKETPLACE, scopes=(Scope.CART_WRITE,)), "ops")


async def test_bad_specs_are_refused_with_a_reason():
    store = MemoryKeyStore()
    for spec, says in [(api_keys.KeySpec(" ", KeyKind.FRONTEND), "name"),
                       (api_keys.KeySpec("x", KeyKind.FRONTEND, expires_in_days=0), "positive"),
                       (api_keys.KeySpec("x", KeyKind.FRONTEND, requests_per_minute=-1), "at least 1")]:
        with pytest.raises(BadUserInput, match=says):
            await api_keys.issue(store, spec, "ops")
    assert store.keys == {}


async def test_the_key_cache_reads_once_per_ttl_and_forgets_what_this_process_changes():
    store = MemoryKeyStore()
    key, full = await api_keys.issue(store, api_keys.KeySpec("Web", KeyKind.FRONTEND), "ops")
    reads = []
    real_get = store.get

    async def counting_get(key_id: str):
        reads.append(key_id)
        return await real_get(key_id)

    store.get = counting_get
    now = [0.0]
    cached = CachedKeyStore(store, ttl=5.0, clock=lambda: now[0])
    for _ in range(3):
        assert (await api_keys.check(cached, full)).key_id == key.key_id
    assert len(reads) == 1
    now[0] = 5.0
    await api_keys.check(cached, full)
    assert len(reads) == 2
    await api_keys.revoke(cached, key.key_id, "ops")
    assert await api_keys.check(cached, full) == "revoked"  # no waiting for the ttl here
