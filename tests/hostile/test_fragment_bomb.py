"""Fragment bombs: each of n nested fragments spreads the one below twice, a document of a few
hundred tokens within every limit that stands for 2^n copies of the innermost fragment. Every
check of the document (depth, aliases, overlapping fields, cost, what it touches, the compiled
plan) works each fragment out once, so the bomb is answered or refused at once, at 60 levels as
at 18, and the process keeps answering others while several go off (before, a request with 18
levels took 6-12 s on a loaded machine, and 30 levels would have taken hours)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.hostile.conftest import assert_responsive

LEVELS = [18, 30, 60]
# Bombs in flight at once: each stream sends one after another, PAUSE_SECONDS apart. A 30-level bomb
# costs the process what any document of its size does (validating 31 fragments: some 10 ms, 40 ms
# on a loaded machine); streams without a pause would measure how many documents of that size a
# process validates per second, which is admission control's business (overload), not the bomb's.
STREAMS = 3
PAUSE_SECONDS = 0.05
BOUNDED_SECONDS = 2.0  # each answer, on a loaded 2-core machine (measured: some 20 ms at 60 levels)


def bomb(levels: int, leaf: str, name: str = "F", on: str = "Query", root: str = "{}") -> str:
    """`{ ...F<levels> }` where F<i> spreads F<i-1> twice and F0 selects `leaf`; `root` places the
    spread (`{}`) in the operation, `on` is the fragments' type."""
    fragments = [f"fragment {name}0 on {on} {{ {leaf} }}"]
    fragments += [f"fragment {name}{i} on {on} {{ ...{name}{i - 1} ...{name}{i - 1} }}"
                  for i in range(1, levels + 1)]
    spread = "{ ..." + f"{name}{levels}" + " }"
    return "query Bomb " + root.replace("{}", spread) + " " + " ".join(fragments)


def timed(gql, document: str) -> tuple[dict, float]:
    started = time.perf_counter()
    answer = gql(document)
    return answer, time.perf_counter() - started


DEEP = 'product(sku: "CG-000001") { ' + "variants { product { " * 6 + "sku" + " } }" * 6 + " }"  # 13 fields deep


@pytest.mark.parametrize("levels", LEVELS)
@pytest.mark.parametrize(("leaf", "code", "says"), [
    # 2^levels lists of 10 assumed channels, 1 point each
    ("channels { code }", "COST_LIMIT_EXCEEDED", lambda levels: f"cost is {2 ** levels * 10} points"),
    # 2^levels aliases
    ("a: __typename", "GRAPHQL_VALIDATION_FAILED", lambda levels: f"{2 ** levels} aliases found. Allowed: 30"),
    # one field chain deeper than 12, 2^levels times
    (DEEP, "GRAPHQL_VALIDATION_FAILED", lambda levels: "'Bomb' exceeds maximum operation depth of 12"),
], ids=["cost", "aliases", "depth"])
def test_a_bomb_is_refused_by_the_limit_it_breaks(gql, levels, leaf, code, says):
    # when
    answer, seconds = timed(gql, bomb(levels, leaf, f"Refused{len(leaf)}x"))
    # then
    assert seconds < BOUNDED_SECONDS
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == code
    assert says(levels) in error["message"]


@pytest.mark.parametrize("levels", LEVELS)
def test_a_free_bomb_is_answered(gql, levels):
    # when: 2^levels `__typename`, which cost nothing and merge into one
    answer, seconds = timed(gql, bomb(levels, "__typename", "Free"))
    # then
    assert seconds < BOUNDED_SECONDS
    assert answer == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("levels", LEVELS)
def test_a_bomb_in_a_compiled_selection_is_answered(gql, levels):
    # when: 2^levels `sku` of one product, on the compiled path (and the cost walk's page sizes)
    document = bomb(levels, "sku", "Product", on="Product",
                    root='{ product(sku: "CG-000001") {} products(first: 2) { nodes {} } }')
    answer, seconds = timed(gql, document)
    # then
    assert seconds < BOUNDED_SECONDS
    assert "errors" not in answer, answer
    assert answer["data"]["product"]["sku"] == "CG-000001"
    assert len(answer["data"]["products"]["nodes"]) == 2


def test_the_process_answers_others_while_bombs_go_off(gateway, api_key):
    leaves = ["channels { code }", "a: __typename", "__typename"]  # refused by cost, by aliases; answered

    async def bomber(client: httpx.AsyncClient, stream: int) -> list[bool]:
        refused = []
        for round_ in range(12):  # one after another, each a distinct document (no cache answers it)
            leaf = leaves[round_ % 3]
            answer = await client.post("/graphql", json={"query": bomb(30, leaf, f"S{stream}x{round_}x")})
            assert answer.status_code == 200
            refused.append(bool(answer.json().get("errors")))
            await asyncio.sleep(PAUSE_SECONDS)
        return refused

    async def bombs() -> list[list[bool]]:
        async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": api_key}, timeout=30) as client:
            return await asyncio.gather(*(bomber(client, stream) for stream in range(STREAMS)))

    # given a gateway that has answered this key before (the first request reads the key from the store)
    httpx.post(f"{gateway}/graphql", json={"query": bomb(30, "__typename", "Warm")}, headers={"X-API-Key": api_key})
    # when, then
    refused = asyncio.run(assert_responsive(gateway, api_key, bombs()))
    assert refused == [[True, True, False] * 4] * STREAMS
