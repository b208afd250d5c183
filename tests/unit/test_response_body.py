"""Response bodies: written by orjson, with the values json.dumps wrote before, and json.dumps still
writing what orjson refuses."""

from __future__ import annotations

import json

from gateway.graphql_view import encode_body

# what the executor hands over for a listing: every scalar already serialized to a plain value
LISTING_ANSWER = {
    "data": {"products": {"edges": [{"node": {
        "sku": "CG-000001", "title": "Coastal Trousers", "brand": None, "availableForSale": True,
        "totalInventory": 42,
        "priceRange": {"minVariantPrice": {"amount": "19.90", "currencyCode": "EUR"}},
        "variants": [{"sku": "CG-000001-M", "price": {"amount": "1234567.05", "currencyCode": "EUR"},
                      "stock": {"quantity": 7, "asOf": "2026-11-23T10:15:00.123456+00:00"}}],
        "storeAvailability": [{"store": {"name": "Store Berlin Mitte"}, "distanceKm": 0.4}],
    }}]}},
    "errors": [{"message": "the app backend is not reachable", "path": ["products", "edges", 0, "node", "title"],
                "extensions": {"code": "BACKEND_UNAVAILABLE", "backend": "medusa"}}],
    "extensions": {"cost": {"requested": 1251, "actual": 212, "maximum": 10000,
                            "budget": {"remaining": None, "perMinute": 600000}}},
}


def stdlib(data: object) -> str:
    """How strawberry wrote bodies before."""
    return json.dumps(data, separators=(",", ":"))


def test_an_answer_is_the_same_compact_json_as_before():
    # when
    body = encode_body(LISTING_ANSWER)
    # then byte for byte what json.dumps wrote: money as decimal strings, times as ISO 8601, key order kept
    assert body == stdlib(LISTING_ANSWER).encode()
    assert b'"amount":"1234567.05"' in body and b'"asOf":"2026-11-23T10:15:00.123456+00:00"' in body


def test_text_outside_ascii_goes_as_utf8_and_reads_back_the_same():
    # given
    answer = {"data": {"store": {"name": "Store München Zentrum", "address": "Mönckebergstraße 7"}}}
    # when
    body = encode_body(answer)
    # then
    assert "München".encode() in body
    assert json.loads(body) == json.loads(stdlib(answer)) == answer


def test_what_orjson_refuses_is_still_answered():
    # given a lone surrogate a client sent (JSON allows the escape) and an integer beyond 64 bits
    answer = {"errors": [{"message": "unknown code '\ud800'", "extensions": {"seen": 2**70}}]}
    # when
    body = encode_body(answer)
    # then json.dumps wrote it, as before, instead of the request failing
    assert body == stdlib(answer)
    assert json.loads(body) == answer
