"""Key checks: every state a presented key can be in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commerce_gateway.domain.api_keys import ApiKey, KeyEvent, KeyKind
from commerce_gateway.resolvers import api_keys


class MemoryKeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.events: list[KeyEvent] = []

    async def prepare(self) -> None:
        pass

    async def insert(self, key: ApiKey, event: KeyEvent) -> None:
        self.keys[key.key_id] = key
        self.events.append(event)

    async def get(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    async def all(self) -> list[ApiKey]:
        return list(self.keys.values())

    async def update(self, key: ApiKey, event: KeyEvent) -> bool:
        self.keys[key.key_id] = key
        self.events.append(event)
        return True


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
    assert [(e.action, e.actor) for e in store.events] == [("created", "ops"), ("revoked", "ops")]


async def test_only_the_hash_of_the_secret_is_stored():
    store = MemoryKeyStore()
    key, full = await api_keys.issue(store, api_keys.KeySpec("Web", KeyKind.FRONTEND), "ops")
    secret = full.split("_", 2)[2]
    assert secret not in repr(store.keys) and len(key.secret_sha256) == 64
