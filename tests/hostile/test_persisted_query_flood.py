"""Attack: APQ registration is open to every key, and a comment makes any document new: a client
could store any number of documents of up to 100 KB each. A key now keeps at most
`server.persisted_documents_per_key` documents it registered; each registration past that evicts
its least recently used ones, while documents in use stay."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
from pymongo import MongoClient

from gateway import persisted
from gateway.settings import MongoSettings
from tests.conftest import UNLIMITED, issue_key, served_gateway
from tests.hostile.conftest import assert_responsive

QUOTA = 50
REGISTRATIONS = 1_000
LARGE = 20  # of them about 100 KB each
KEPT = "# used all along\n{ __typename }"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def document(n: int) -> str:
    comment = f"# flood {n} " + ("x" * 99_000 if n % (REGISTRATIONS // LARGE) == 0 else "")
    return f"{comment}\n{{ __typename }}"


def apq(text: str, with_document: bool = True) -> dict:
    body: dict = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}}
    if with_document:
        body["query"] = text
    return body


async def flood(base_url: str, key: str) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, timeout=30) as client:
        statuses.append((await client.post("/graphql", json=apq(KEPT))).status_code)
        for n in range(REGISTRATIONS):
            statuses.append((await client.post("/graphql", json=apq(document(n)))).status_code)
            if n % 10 == 0:  # the app keeps running one document by its hash
                kept = await client.post("/graphql", json=apq(KEPT, with_document=False))
                assert kept.json()["data"] == {"__typename": "Query"}, kept.text
    return statuses


def test_apq_registrations_stay_within_the_keys_quota(simulators, mongo_url, monkeypatch):
    monkeypatch.setattr(persisted, "TOUCH_EVERY_SECONDS", 0.0, raising=False)  # every use recorded (in production, once in 10 min)
    key = issue_key(mongo_url, "frontend", name="apq flood", **UNLIMITED)
    with served_gateway(simulators, mongo_url, CGW_SERVER__PERSISTED_DOCUMENTS_PER_KEY=str(QUOTA)) as url:
        # when: 1,000 documents made unique by comments, 20 of them of 100 KB
        statuses = asyncio.run(assert_responsive(url, key, flood(url, key)))
        assert set(statuses) == {200}
        # then: the store holds at most the quota of them
        hashes = [sha256(document(n)) for n in range(REGISTRATIONS)]
        with MongoClient(mongo_url) as mongo:
            stored = mongo[MongoSettings().database]["documents"]
            kept = stored.count_documents({"_id": {"$in": hashes}})
            kept_in_use = stored.count_documents({"_id": sha256(KEPT)})
        assert kept <= QUOTA, kept
        # the document in use stayed; the oldest unused went, the latest registered are there
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
            assert client.post("/graphql", json=apq(KEPT, False)).json()["data"] == {"__typename": "Query"}
            oldest = client.post("/graphql", json=apq(document(1), False)).json()
            assert oldest["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            latest = client.post("/graphql", json=apq(document(REGISTRATIONS - 1), False)).json()
            assert latest["data"] == {"__typename": "Query"}
        assert kept_in_use == 1
