"""A checkout e-mail built to make a backtracking pattern run for seconds (`x@` and ten thousand dots
and an `@`; a body of 100 KB) is refused at once, and the process keeps answering meanwhile."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.api.test_checkout import CHECKOUT, SHIPPING, cart_with, check_out, stocked  # noqa: F401 (fixture)
from tests.hostile.conftest import assert_responsive

QUICK = 0.25  # seconds: the whole request, refusal included (the old pattern took 1.24 s on the first)


def test_a_pathological_email_is_refused_at_once(gql, stocked):  # noqa: F811
    cart = cart_with(gql, [(stocked[0], 1)])
    for email in ("x@" + "." * 10_000 + "@", "x@" + "." * 30_000 + "@", "x@" + "a" * 90_000 + ".de"):
        # when
        started = time.perf_counter()
        result = check_out(gql, cart, {**SHIPPING, "email": email})
        took = time.perf_counter() - started
        # then
        assert [e["code"] for e in result["userErrors"]] == ["INVALID_EMAIL"]
        assert took < QUICK, f"{len(email)} characters took {took:.2f} s to refuse"


async def test_the_process_answers_while_pathological_emails_arrive(gateway, api_key, gql, stocked):  # noqa: F811
    cart = cart_with(gql, [(stocked[0], 1)])
    email = "x@" + "." * 20_000 + "@"

    async def attack() -> list[dict]:
        async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": api_key}, timeout=30) as client:
            answers = []
            for _ in range(4):
                variables = {"cart": cart["id"], "input": {**SHIPPING, "email": email}, "key": str(uuid.uuid4())}
                response = await client.post("/graphql", json={"query": CHECKOUT, "variables": variables})
                answers.append(response.json()["data"]["cartCheckout"])
            return answers

    answers = await assert_responsive(gateway, api_key, attack())
    assert all([e["code"] for e in a["userErrors"]] == ["INVALID_EMAIL"] for a in answers)
