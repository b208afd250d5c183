"""Automatic persisted queries (Apollo APQ): hash only, hash with document, over POST and GET,
unknown hashes, mismatches, and documents shared by every gateway process through MongoDB."""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx
import pytest

from tests.conftest import GraphQLClient, served_gateway

GRAPHQL_RESPONSE = "application/graphql-response+json"


def fresh_document() -> str:
    """A document no earlier test registered (its hash is new)."""
    return f'query Probe{uuid.uuid4().hex} {{ product(sku: "CG-000002") {{ sku title }} }}'


def apq(document: str, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": hashlib.sha256(document.encode()).hexdigest()}}


def post(gql: GraphQLClient, body: dict, **headers: str) -> httpx.Response:
    return gql.http.post("/graphql", json=body, headers=headers)


def not_found(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_the_apq_round_trip_over_post(gql):
    document = fresh_document()
    # given a hash the gateway has not seen: not found, for either media type
    not_found(post(gql, {"extensions": apq(document)}))
    not_found(post(gql, {"extensions": apq(document)}, Accept=GRAPHQL_RESPONSE))
    # when the client sends the document with its hash
    first = post(gql, {"query": document, "extensions": apq(document)})
    assert first.status_code == 200 and first.json()["data"]["product"]["sku"] == "CG-000002"
    # then the hash alone runs it
    again = post(gql, {"extensions": apq(document)})
    assert again.status_code == 200 and again.json()["data"] == first.json()["data"]


def test_the_apq_round_trip_over_get(gql):
    document = fresh_document()
    hashed = {"extensions": json.dumps(apq(document))}
    not_found(gql.http.get("/graphql", params=hashed))
    assert gql.http.get("/graphql", params={**hashed, "query": document}).json()["data"]["product"]
    answer = gql.http.get("/graphql", params=hashed)
    assert answer.status_code == 200 and answer.json()["data"]["product"]["sku"] == "CG-000002"


def test_a_hash_that_is_not_the_documents_is_refused(gql):
    document = fresh_document()
    response = post(gql, {"query": document, "extensions": apq(document + " ")})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "not the SHA-256 of the query" in error["message"] and error["extensions"]["code"] == "BAD_REQUEST"
    not_found(post(gql, {"extensions": apq(document + " ")}))  # and nothing was registered


@pytest.mark.parametrize("persisted", [{"version": 2, "sha256Hash": "0" * 64}, {"version": 1, "sha256Hash": "abc"},
                                       {"version": 1}, "yes"])
def test_malformed_persisted_query_extensions(gql, persisted):
    response = post(gql, {"extensions": {"persistedQuery": persisted}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_only_documents_that_ran_are_registered(gql):
    broken = "{ product(sku: \"CG-000001\") { nope } }"
    assert post(gql, {"query": broken, "extensions": apq(broken)}).json()["data"] is None
    not_found(post(gql, {"extensions": apq(broken)}))


def test_a_persisted_mutation_is_not_run_over_get(gql):
    mutation = f"mutation Create{uuid.uuid4().hex} {{ cartCreate(input: {{}}) {{ cart {{ id }} }} }}"
    assert post(gql, {"query": mutation, "extensions": apq(mutation)}).json()["data"]["cartCreate"]["cart"]
    response = gql.http.get("/graphql", params={"extensions": json.dumps(apq(mutation))})
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_documents_are_shared_by_every_gateway_process(gql, simulators, mongo_url, api_key):
    document = fresh_document()
    assert post(gql, {"query": document, "extensions": apq(document)}).status_code == 200
    with served_gateway(simulators, mongo_url) as other_url:
        other = GraphQLClient(other_url, api_key)
        try:
            answer = post(other, {"extensions": apq(document)})
        finally:
            other.http.close()
    assert answer.status_code == 200 and answer.json()["data"]["product"]["sku"] == "CG-000002"
