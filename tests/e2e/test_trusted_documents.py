"""Trusted documents: `commerce-gateway documents push` fills a list, and a key limited to it
runs those documents (by hash or by text) and nothing else."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import GraphQLClient, issue_key

pytestmark = pytest.mark.slow
FEED = '{ products(first: 2) { nodes { sku priceRange { minVariantPrice { amount } } } } }'
ONE = 'query One($sku: String!) { product(sku: $sku) { sku title } }'
OTHER = '{ channels { code } }'


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def push(mongo_url: str, path, *options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CGW_CONFIG": os.devnull, "CGW_MONGO__URL": mongo_url}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "documents", "push", str(path),
                           *options], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def partner(gateway, mongo_url, tmp_path):
    name = f"partner-{uuid.uuid4().hex[:8]}"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": sha(FEED), "name": "Feed", "type": "query", "body": FEED}]}))
    pushed = push(mongo_url, manifest, "--list", name, "--json")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout) == {"list": name, "pushed": 1, "size": 1}
    client = GraphQLClient(gateway, issue_key(mongo_url, "marketplace", documents=name))
    yield client, name, tmp_path
    client.http.close()


def not_in_list(answer: dict) -> None:
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


def test_a_trusted_key_runs_its_documents_and_nothing_else(partner):
    client, _, _ = partner
    by_hash = client.http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 1,
                                                                                   "sha256Hash": sha(FEED)}}})
    assert len(by_hash.json()["data"]["products"]["nodes"]) == 2
    assert client(FEED)["data"] == by_hash.json()["data"]  # the same text is the same document
    not_in_list(client(OTHER))
    not_in_list(client(FEED + " "))  # one byte off is another document
    registering = client.http.post("/graphql", json={"query": OTHER, "extensions": {
        "persistedQuery": {"version": 1, "sha256Hash": sha(OTHER)}}})
    not_in_list(registering.json())  # a trusted key cannot add documents through APQ


def test_pushing_adds_to_a_list_or_replaces_it(partner, mongo_url):
    client, name, tmp_path = partner
    plain = tmp_path / "documents.json"
    plain.write_text(json.dumps({sha(ONE): ONE}))
    assert json.loads(push(mongo_url, plain, "--list", name, "--json").stdout)["size"] == 2
    assert client(ONE, {"sku": "CG-000003"})["data"]["product"]["sku"] == "CG-000003"
    assert json.loads(push(mongo_url, plain, "--list", name, "--replace", "--json").stdout)["size"] == 1


@pytest.mark.parametrize(("content", "says"), [
    ({"0" * 64: FEED}, "is not the SHA-256 of its body"),
    ({sha("{ nope }"): "{ nope }"}, "does not validate: Cannot query field 'nope'"),
    ({sha("{ nope"): "{ nope"}, "does not validate: Syntax Error"),
    ([FEED], "expected an Apollo persisted-query manifest"),
    ({"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}, "version 1"),
])
def test_bad_files_are_refused_saying_why(mongo_url, tmp_path, content, says):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    refused = push(mongo_url, path, "--list", "never")
    assert refused.returncode == 2 and says in refused.stderr and "Traceback" not in refused.stderr
