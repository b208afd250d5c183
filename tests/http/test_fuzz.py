"""A bounded schemathesis run against the live GraphQL endpoint: generated queries and mutations
never get a 5xx, and every answer has the GraphQL response shape."""

from __future__ import annotations

import graphql
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st

from tests.conftest import UNLIMITED, issue_key

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 10

schemathesis.graphql.scalar("CurrencyCode", st.sampled_from(["EUR", "USD", "eur", "X", ""]).map(
    lambda code: graphql.StringValueNode(value=code)))
schemathesis.graphql.scalar("Decimal", st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
    lambda amount: graphql.StringValueNode(value=str(amount))))


@pytest.fixture(scope="module")
def admin_key(mongo_url) -> str:
    """Every scope, so the fuzzer reaches every field (key management included)."""
    return issue_key(mongo_url, "admin", name="fuzz", **UNLIMITED)


def test_no_server_error_and_a_graphql_shaped_answer(gateway, admin_key):
    headers = {"X-API-Key": admin_key}
    schema = schemathesis.graphql.from_url(f"{gateway}/graphql", headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10

    @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION * len(operations), deadline=None, derandomize=True,
                         database=None, suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.data())
    def probe(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(operations).flatmap(lambda operation: operation.as_strategy()))
        response = case.call(headers=headers)
        assert response.status_code < 500, response.text
        body = response.json()
        assert set(body) <= {"data", "errors", "extensions"} and ("data" in body or "errors" in body), body
        for error in body.get("errors", ()):
            assert isinstance(error.get("message"), str) and "Traceback" not in error["message"], error

    probe()
