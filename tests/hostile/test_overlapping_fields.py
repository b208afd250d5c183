"""Many fields of one response name: graphql-core checks that fields sharing a response name can be
merged by comparing them in pairs, so 1,200 `channels { code }` side by side (4,800 tokens, within
the limit) are 720,000 comparisons, which took seconds before graphql-core gave up with
"Validation aborted.". The gateway allows the check a far smaller budget (the largest document of
its tests spends 14 comparisons) and refuses past it, saying why."""

from __future__ import annotations

import time

import pytest

from schema.document_rules import OVERLAP_BUDGET

BOUNDED_SECONDS = 1.5  # on a loaded 2-core machine; mostly parsing and the other rules' walk


@pytest.mark.parametrize("fields", [1_200, 600])
def test_many_fields_of_one_name_are_refused_at_once(gql, fields):
    # given
    document = "{ " + " ".join(["channels { code }"] * fields) + " }"
    assert fields * (fields - 1) > OVERLAP_BUDGET
    # when
    started = time.perf_counter()
    answer = gql(document)
    seconds = time.perf_counter() - started
    # then
    assert seconds < BOUNDED_SECONDS
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "too complex" in error["message"] and "share a response name" in error["message"]


def test_fields_of_one_name_within_the_budget_are_answered(gql):
    answer = gql("{ " + " ".join(["channels { code }"] * 40) + " }")
    assert "errors" not in answer and answer["data"]["channels"]
