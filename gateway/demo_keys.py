"""The demo's API keys: one per client kind, made at the first start and kept whole in a file next
to the embedded store (the store itself keeps only hashes), so that every start can print them.
A kept key whose scopes are no longer its kind's defaults (made by an older gateway, before new
scopes came) is revoked and replaced, so the demo's keys reach every field."""

from __future__ import annotations

import json
import os
from pathlib import Path

from domain.api_keys import KeyKind
from domain.ports import ApiKeyStore
from resolvers import api_keys


def keys_file(embedded_path: str) -> Path:
    return Path(embedded_path).with_name("demo-keys.json")


async def ensure_demo_keys(store: ApiKeyStore, path: Path) -> dict[str, str]:
    """The kept key of each kind, replaced by a new one where the store no longer accepts it (a
    fresh store file, a revoked or expired key)."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        saved = {}
    kept: dict[str, str] = {}
    for kind in KeyKind:
        found = saved.get(kind.value) if isinstance(saved, dict) else None
        raw = found if isinstance(found, str) else ""
        key = await api_keys.check(store, raw)
        if not isinstance(key, str) and set(key.scopes) != set(api_keys.DEFAULT_SCOPES[kind]):
            await api_keys.revoke(store, key.key_id, "demo")
            key = "outdated"
        if isinstance(key, str):
            _, raw = await api_keys.issue(store, api_keys.KeySpec(f"demo {kind.value}", kind), "demo")
        kept[kind.value] = raw
    if kept != saved:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(kept, indent=2) + "\n")
        os.chmod(temporary, 0o600)  # whole keys: for this user only
        temporary.replace(path)
    return kept


async def demo_keys_accepted(store: ApiKeyStore, path: Path) -> list[str]:
    """The ids of the demo's keys the store still accepts: those kept in the demo's file, and those
    the demo issued (named `demo <kind>`, created by "demo"). Their secrets were printed at every
    demo start: a production gateway must not run with them."""
    found: list[str] = []
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        saved = {}
    for raw in (saved.values() if isinstance(saved, dict) else ()):
        if isinstance(raw, str) and not isinstance(key := await api_keys.check(store, raw), str):
            found.append(key.key_id)
    names = {f"demo {kind.value}" for kind in KeyKind}
    for key in await store.all():
        if key.name in names and key.key_id not in found and key.revoked_at is None and any(
                e.action == "created" and e.actor == "demo" for e in await store.events(key.key_id)):
            found.append(key.key_id)
    return found
