"""HTTP caching of queries over GET: `Cache-Control` from what the operation touched, a strong
`ETag` of the body, `304 Not Modified` on a matching `If-None-Match`, and `Vary` on every
request header that changes the answer, so that a shared cache (a CDN) never hands one key's or
channel's answer to another."""

from __future__ import annotations

import hashlib

from gateway.settings import CacheSettings

# the key decides scopes and a bound channel; X-Channel the channel; Accept the media type.
# Accept-Language: answers do not depend on it yet, but they will with localized content.
VARY = "Accept, Accept-Language, X-API-Key, X-Channel"
NO_STORE = "no-store"


def cache_control(touched: frozenset[str], has_errors: bool, settings: CacheSettings) -> str:
    if "private" in touched:
        return f"private, {NO_STORE}"
    if has_errors:
        return NO_STORE  # a partial or failed answer is not worth keeping
    return f"public, max-age={max_age(touched, settings)}"


def max_age(touched: frozenset[str], settings: CacheSettings) -> int:
    """How long an answer that read `touched` stays fresh: the freshest kind of data it holds decides."""
    seconds = settings.content_seconds
    if "price" in touched:
        seconds = min(seconds, settings.price_seconds)
    if "stock" in touched:
        seconds = min(seconds, settings.stock_seconds)
    return seconds


def is_shared(policy: str) -> bool:
    return policy.startswith("public")


def etag_of(body: bytes | memoryview) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/ prefixes do not matter; `*` matches."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
