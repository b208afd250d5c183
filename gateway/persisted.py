"""Automatic persisted queries (Apollo's APQ protocol, version 1).

A client sends `extensions.persistedQuery {version: 1, sha256Hash}` instead of the document. A
hash the gateway knows runs its document; an unknown one answers PERSISTED_QUERY_NOT_FOUND
(HTTP 200, as Apollo clients expect), and the client sends the document with the hash, which
registers it for every gateway process once it has run. Documents live in MongoDB, behind an
in-process cache bounded in entries and bytes.

Registration is open to every key, so it is bounded per key: a key keeps at most
`server.persisted_documents_per_key` documents it registered, and each registration past that
evicts the key's least recently used ones (use is recorded at most once per `TOUCH_EVERY_SECONDS`
per document and process). Documents of trusted lists are pinned: never counted nor evicted.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from domain.ports import DocumentStore

VERSION = 1
CACHE_SIZE = 10_000
CACHE_BYTES = 32 * 1024 * 1024  # documents are client text up to the body limit: bound the bytes too
PER_KEY = 500
TOUCH_EVERY_SECONDS = 600.0
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class BadPersistedQuery(ValueError):
    """A persistedQuery extension that is not APQ version 1, or whose hash is not the document's."""


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def requested_hash(extensions: dict[str, Any] | None, document: str | None) -> str | None:
    """The hash a request names, checked against its document when it sends one; None: not APQ."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != VERSION:
        raise BadPersistedQuery(f"persistedQuery: only version {VERSION} is supported")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256):
        raise BadPersistedQuery("persistedQuery.sha256Hash: 64 lowercase hex digits, the SHA-256 of the document")
    if document is not None and sha256_of(document) != sha256:
        raise BadPersistedQuery("persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
    return sha256


class PersistedDocuments:
    def __init__(self, store: DocumentStore, cache_size: int = CACHE_SIZE, list_ttl: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, per_key: int = PER_KEY,
                 cache_bytes: int = CACHE_BYTES) -> None:
        self.store = store
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self.cached_bytes = 0
        self.cache: OrderedDict[str, str] = OrderedDict()
        self.list_ttl = list_ttl
        self.clock = clock
        self.per_key = per_key
        self.lists: dict[str, tuple[float, frozenset[str]]] = {}
        self.touched: OrderedDict[str, float] = OrderedDict()

    async def trusted(self, name: str) -> frozenset[str]:
        """The hashes of a trusted-document list, re-read after `list_ttl` seconds (as keys are)."""
        now = self.clock()
        seen = self.lists.get(name)
        if seen is None or now - seen[0] >= self.list_ttl:
            seen = self.lists[name] = (now, await self.store.list_hashes(name))
        return seen[1]

    async def find(self, sha256: str) -> str | None:
        document = self.cache.get(sha256)
        if document is None:
            document = await self.store.get(sha256)  # misses are not cached: another process may register it
            if document is None:
                return None
            self._remember(sha256, document)
        else:
            self.cache.move_to_end(sha256)
        await self._touch(sha256)
        return document

    async def register(self, sha256: str, document: str, owner: str) -> None:
        """Keeps a document that ran, in the quota of the key `owner` that sent it."""
        if sha256 in self.cache:
            return
        await self.store.put(sha256, document, owner)
        self._remember(sha256, document)
        self.touched[sha256] = self.clock()
        for evicted in await self.store.evict(owner, self.per_key):
            self._forget(evicted)

    async def _touch(self, sha256: str) -> None:
        now = self.clock()
        if now - self.touched.get(sha256, -TOUCH_EVERY_SECONDS) < TOUCH_EVERY_SECONDS:
            return
        self.touched[sha256] = now
        self.touched.move_to_end(sha256)
        while len(self.touched) > self.cache_size:
            self.touched.popitem(last=False)
        await self.store.touch(sha256, datetime.now(UTC))

    def _remember(self, sha256: str, document: str) -> None:
        self._forget(sha256)
        self.cache[sha256] = document
        self.cached_bytes += len(document)
        while self.cache and (len(self.cache) > self.cache_size or self.cached_bytes > self.cache_bytes):
            _, gone = self.cache.popitem(last=False)
            self.cached_bytes -= len(gone)

    def _forget(self, sha256: str) -> None:
        gone = self.cache.pop(sha256, None)
        if gone is not None:
            self.cached_bytes -= len(gone)
