"""Automatic persisted queries (Apollo's APQ protocol, version 1).

A client sends `extensions.persistedQuery {version: 1, sha256Hash}` instead of the document. A
hash the gateway knows runs its document; an unknown one answers PERSISTED_QUERY_NOT_FOUND
(HTTP 200, as Apollo clients expect), and the client sends the document with the hash, which
registers it for every gateway process once it has run. Documents live in MongoDB, behind a
bounded in-process cache.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from domain.ports import DocumentStore

VERSION = 1
CACHE_SIZE = 10_000
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
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.cache_size = cache_size
        self.cache: OrderedDict[str, str] = OrderedDict()
        self.list_ttl = list_ttl
        self.clock = clock
        self.lists: dict[str, tuple[float, frozenset[str]]] = {}

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
        return document

    async def register(self, sha256: str, document: str) -> None:
        if sha256 not in self.cache:
            await self.store.put(sha256, document)
            self._remember(sha256, document)

    def _remember(self, sha256: str, document: str) -> None:
        self.cache[sha256] = document
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
