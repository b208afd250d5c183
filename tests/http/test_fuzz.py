"""A schemathesis run against the live GraphQL endpoint: generated queries and mutations never get a
5xx or an `INTERNAL` error, and every answer has the GraphQL response shape.

`make test` runs it bounded (an admin key, which reaches every field, 10 examples per operation);
`make fuzz` runs it long (FUZZ_OPERATIONS, default 2,000, spread over a key of every kind) and
prints its figures."""

from __future__ import annotations

import os
from collections import Counter

import graphql
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st

from domain.api_keys import KeyKind
from tests.conftest import UNLIMITED, issue_key

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 10
LONG_RUN = int(os.environ.get("FUZZ_OPERATIONS", "0"))  # generated operations of `make fuzz`; 0: the bounded run
KINDS = list(KeyKind) if LONG_RUN else [KeyKind.ADMIN]  # the admin key also reads the schema (introspection)

schemathesis.graphql.scalar("CurrencyCode", st.sampled_from(["EUR", "USD", "eur", "X", ""]).map(
    lambda code: graphql.StringValueNode(value=code)))
schemathesis.graphql.scalar("Decimal", st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
    lambda amount: graphql.StringValueNode(value=str(amount))))


@pytest.fixture(scope="module")
def keys(mongo_url) -> dict[KeyKind, str]:
    """A key of each kind the run uses; the admin key has every scope (key management included)."""
    return {kind: issue_key(mongo_url, kind.value, name=f"fuzz {kind.value}", **UNLIMITED)
            for kind in {KeyKind.ADMIN, *KINDS}}


def faults_of(status: int, body: object) -> list[str]:
    """What is wrong with one answer: a 5xx, an answer outside the GraphQL response shape, an `INTERNAL`."""
    if status >= 500:
        return [f"HTTP {status}"]
    if not isinstance(body, dict) or not set(body) <= {"data", "errors", "extensions"} \
            or not ("data" in body or "errors" in body):
        return ["not a GraphQL response"]
    faults = []
    for error in body.get("errors") or ():
        if not isinstance(error, dict) or not isinstance(error.get("message"), str) or "Traceback" in error["message"]:
            faults.append("not a GraphQL error")
        elif (error.get("extensions") or {}).get("code") == "INTERNAL":
            faults.append("INTERNAL")
    return faults


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_no_server_error_and_a_graphql_shaped_answer(gateway, keys, kind):
    headers = {"X-API-Key": keys[kind]}
    # introspection is off for marketplace keys: the schema is read with the admin key, and called with each
    schema = schemathesis.graphql.from_url(f"{gateway}/graphql", headers={"X-API-Key": keys[KeyKind.ADMIN]})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    examples = -(-LONG_RUN // len(KINDS)) if LONG_RUN else EXAMPLES_PER_OPERATION * len(operations)
    statuses: Counter[int] = Counter()
    found: list[str] = []

    @hypothesis.settings(max_examples=examples, deadline=None, derandomize=not LONG_RUN, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.data())
    def probe(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(operations).flatmap(lambda operation: operation.as_strategy()))
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        try:
            body = response.json()
        except ValueError:
            body = None
        found.extend(f"{fault}: {case.body!r} -> {response.status_code} {response.text[:300]}"
                     for fault in faults_of(response.status_code, body))

    probe()
    print(f"\nfuzz, {kind} key: {statuses.total()} operations, HTTP statuses {dict(sorted(statuses.items()))}, "
          f"{len(found)} faults")
    for fault in found:
        print(f"  {fault}")
    assert not found, f"{len(found)} of {statuses.total()} answers were faulty; the first: {found[0]}"
