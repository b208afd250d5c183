"""Attack (or accident): a key is revoked in one process while another rotates it from a read up to
`auth.key_cache_seconds` old. If the rotation wrote back every field of its read, the key would be
un-revoked, with a new secret its holder just received. Revocation and rotation are targeted,
conditional updates: a revoked key stays revoked, whatever raced it."""

from __future__ import annotations

import asyncio
import uuid

from adapters.mongo import client as mongo
from adapters.mongo.api_keys import MongoApiKeyStore
from domain.api_keys import KeyKind
from domain.errors import BadUserInput
from gateway.access import CachedKeyStore
from resolvers import api_keys


async def revoke_racing_rotate(mongo_url: str) -> tuple[str, object, object, str]:
    client = mongo.open_client(mongo_url)
    try:
        database = f"key_race_{uuid.uuid4().hex[:8]}"
        # two gateway processes: each its own key cache over the same store
        one = CachedKeyStore(MongoApiKeyStore(client, database), ttl=5.0)
        other = CachedKeyStore(MongoApiKeyStore(client, database), ttl=5.0)
        key, full = await api_keys.issue(one, api_keys.KeySpec("leaked web key", KeyKind.FRONTEND), "ops")
        # given: the rotating process read the key (a request used it) before the revocation
        assert (await api_keys.check(other, full)).key_id == key.key_id
        # when: the key is revoked in one process, and rotated in the other, from its cached read
        await api_keys.revoke(one, key.key_id, "ops")
        outcome: object
        try:
            outcome = await api_keys.rotate(other, key.key_id, "attacker-triggered rotation")
        except BadUserInput as exc:
            outcome = exc
        fresh = MongoApiKeyStore(client, database)
        stored = await fresh.get(key.key_id)
        new_secret = outcome[1] if isinstance(outcome, tuple) else full
        return key.key_id, stored, outcome, await _checked(fresh, new_secret)
    finally:
        await client.close()


async def _checked(store: MongoApiKeyStore, raw: str) -> str:
    checked = await api_keys.check(store, raw)
    return checked if isinstance(checked, str) else "accepted"


def test_a_rotation_from_a_stale_read_never_unrevokes(mongo_url):
    # when
    _, stored, outcome, new_secret = asyncio.run(revoke_racing_rotate(mongo_url))
    # then: the key stays revoked, the rotation is refused, and no secret of it is accepted
    assert stored.revoked_at is not None
    assert isinstance(outcome, BadUserInput) and "revoked" in str(outcome)
    assert new_secret == "revoked"


def test_rotations_racing_each_other_leave_one_secret(mongo_url):
    async def race() -> tuple[list[object], list[str]]:
        client = mongo.open_client(mongo_url)
        try:
            database = f"key_race_{uuid.uuid4().hex[:8]}"
            stores = [CachedKeyStore(MongoApiKeyStore(client, database), ttl=5.0) for _ in range(4)]
            key, full = await api_keys.issue(stores[0], api_keys.KeySpec("web", KeyKind.FRONTEND), "ops")
            for store in stores:  # every process read the key
                await api_keys.check(store, full)
            outcomes = await asyncio.gather(*(api_keys.rotate(s, key.key_id, "ops") for s in stores),
                                            return_exceptions=True)
            fresh = MongoApiKeyStore(client, database)
            accepted = [await _checked(fresh, o[1]) for o in outcomes if isinstance(o, tuple)]
            return outcomes, accepted
        finally:
            await client.close()

    outcomes, accepted = asyncio.run(race())
    # then: whoever got a secret back holds the key's secret; the others were told to retry
    assert accepted == ["accepted"] * len(accepted) and len(accepted) >= 1
    assert all(isinstance(o, tuple) or "try again" in str(o) for o in outcomes)
