"""Persisted documents: the APQ extension's checks, the bounded cache in front of the store, and
trusted lists re-read after their time to live."""

from __future__ import annotations

import pytest

from gateway.persisted import BadPersistedQuery, PersistedDocuments, requested_hash, sha256_of

DOCUMENT = "{ channels { code } }"


class MemoryDocumentStore:
    def __init__(self) -> None:
        self.documents: dict[str, str] = {}
        self.lists: dict[str, set[str]] = {}
        self.reads = 0

    async def prepare(self) -> None:
        pass

    async def get(self, sha256: str) -> str | None:
        self.reads += 1
        return self.documents.get(sha256)

    async def put(self, sha256: str, document: str, owner: str | None = None) -> None:
        self.documents.setdefault(sha256, document)

    async def touch(self, sha256: str, at: object) -> None:
        pass

    async def evict(self, owner: str, keep: int) -> list[str]:
        return []

    async def add_to_list(self, name: str, hashes: list[str], replace: bool = False) -> int:
        self.lists[name] = set(hashes) if replace else self.lists.get(name, set()) | set(hashes)
        return len(self.lists[name])

    async def list_hashes(self, name: str) -> frozenset[str]:
        self.reads += 1
        return frozenset(self.lists.get(name, ()))


def extension(sha256: str, version: object = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


def test_the_requested_hash():
    assert requested_hash(None, DOCUMENT) is None and requested_hash({"other": 1}, DOCUMENT) is None
    assert requested_hash(extension(sha256_of(DOCUMENT)), None) == sha256_of(DOCUMENT)
    assert requested_hash(extension(sha256_of(DOCUMENT)), DOCUMENT) == sha256_of(DOCUMENT)
    for bad, says in [(extension(sha256_of(DOCUMENT), 2), "version 1"), (extension("ABC"), "64 lowercase hex"),
                      (extension(sha256_of(DOCUMENT).upper()), "64 lowercase hex")]:
        with pytest.raises(BadPersistedQuery, match=says):
            requested_hash(bad, None)
    with pytest.raises(BadPersistedQuery, match="not the SHA-256"):
        requested_hash(extension(sha256_of(DOCUMENT)), DOCUMENT + " ")


async def test_found_documents_are_cached_and_misses_are_not():
    store = MemoryDocumentStore()
    documents = PersistedDocuments(store, cache_size=2)
    key = sha256_of(DOCUMENT)
    assert await documents.find(key) is None
    store.documents[key] = DOCUMENT  # registered by another process meanwhile
    assert await documents.find(key) == DOCUMENT
    reads = store.reads
    assert await documents.find(key) == DOCUMENT and store.reads == reads
    for text in ("{ a }", "{ b }"):  # the cache holds two: the first one goes
        await documents.register(sha256_of(text), text, "key")
    assert await documents.find(key) == DOCUMENT and store.reads == reads + 1


async def test_trusted_lists_are_read_once_per_time_to_live():
    store = MemoryDocumentStore()
    now = [0.0]
    documents = PersistedDocuments(store, list_ttl=5.0, clock=lambda: now[0])
    await store.add_to_list("app-4.2", ["h1"])
    assert await documents.trusted("app-4.2") == {"h1"}
    await store.add_to_list("app-4.2", ["h2"])
    assert await documents.trusted("app-4.2") == {"h1"}  # still the copy read at 0 s
    now[0] = 5.0
    assert await documents.trusted("app-4.2") == {"h1", "h2"}
    assert await documents.trusted("unknown") == frozenset()
