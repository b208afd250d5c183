"""Answers shared between requests: what the key is made of, coalescing of identical queries in
flight, what a shared answer charges, stale-if-error, and what is never kept."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from domain.api_keys import ApiKey, KeyKind, Scope
from domain.channels import Channel
from domain.errors import BackendUnavailable, RateLimited
from domain.records import CatalogInvalidation, ChangeAspect
from gateway.answer_cache import AnswerCache, RawJSON
from gateway.settings import CacheSettings
from gateway.shared_answers import SharedAnswers
from resolvers.context import RequestContext
from tests.unit.fakes import World

LISTING = "{ products(first: 2) { edges { node { sku priceRange { minVariantPrice { amount } } } } } }"
SETTINGS = CacheSettings(content_seconds=300, price_seconds=60, stock_seconds=10, stale_if_error_seconds=300)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def key(key_id: str = "k1", scopes: tuple[Scope, ...] = (Scope.CATALOG_READ, Scope.STOCK_READ),
        channel: str | None = None) -> ApiKey:
    return ApiKey(key_id=key_id, name=key_id, kind=KeyKind.FRONTEND, channel=channel, scopes=scopes,
                  requests_per_minute=100, cost_per_minute=1_000, secret_sha256="", created_at=NOW)


class Meter:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.charged: list[int] = []
        self.settled: list[int] = []

    async def charge(self, requested: int) -> None:
        if self.refuse:
            raise RateLimited("spent", retry_after=3)
        self.charged.append(requested)

    async def settle(self, actual: int) -> None:
        self.settled.append(actual)


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shared(clock: Clock) -> SharedAnswers:
    cache = AnswerCache(1_000_000, stale_seconds=SETTINGS.stale_if_error_seconds, clock=clock)
    return SharedAnswers(cache, SETTINGS, lambda data: json.dumps(data, separators=(",", ":")), max_tokens=5_000,
                         document_cache_size=10, wall_clock=lambda: NOW)


def request(query: str = LISTING, **variables: object) -> GraphQLRequestData:
    return GraphQLRequestData(query=query, variables=variables or None, operation_name=None, extensions=None)


def context(api_key: ApiKey | None = None, channel: Channel = Channel.WEB, meter: Meter | None = None) -> RequestContext:
    ctx = World().context(channel)
    ctx.api_key = api_key or key()
    ctx.scopes = frozenset(ctx.api_key.scopes)
    if ctx.api_key.channel:
        ctx.channel = ctx.bound_channel = Channel(ctx.api_key.channel)
    ctx.meter = meter
    return ctx


class Run:
    """A stand-in for execution: what a run of the operation would do to the context and answer."""

    def __init__(self, data: object = None, touched: frozenset[str] = frozenset({"content", "price"}),
                 errors: list[GraphQLError] | None = None, gate: asyncio.Event | None = None,
                 fail: BaseException | None = None) -> None:
        self.data = {"products": {"edges": []}} if data is None else data
        self.touched, self.errors, self.gate, self.fail = touched, errors, gate, fail
        self.runs = 0

    def __call__(self, ctx: RequestContext):
        async def execute() -> ExecutionResult:
            self.runs += 1
            ctx.cost_requested, ctx.touched = 41, self.touched
            if self.gate is not None:
                await self.gate.wait()
            if self.fail is not None:
                raise self.fail
            ctx.cost_actual = 3
            ctx.loaders.held.products({1, 2})
            return ExecutionResult(data=self.data, errors=self.errors)
        return execute


async def ask(shared: SharedAnswers, ctx: RequestContext, run: Run, **kw: object) -> ExecutionResult:
    k = shared.key_of(request(), ctx)
    assert k is not None
    return await shared.answer(k, ctx, run(ctx), **kw)


def body(result: ExecutionResult) -> object:
    return json.loads(result.data.text) if isinstance(result.data, RawJSON) else result.data


# the key

def test_what_decides_the_answer_is_in_the_key_and_the_key_itself_is_not(shared):
    web = shared.key_of(request(), context())
    assert shared.key_of(request(), context(key("k2"))) == web  # another key with the same scopes
    assert shared.key_of(request(), context(channel=Channel.STORE)) != web  # another channel
    assert shared.key_of(request(), context(key(scopes=(Scope.CATALOG_READ,)))) != web  # other scopes
    assert shared.key_of(request(first=3), context()) != web  # other variables
    assert shared.key_of(request(LISTING + " "), context()) != web  # another document


def test_a_bound_key_never_shares_with_an_unbound_one_asking_its_channel(shared):
    # an unbound key may name any channel in the document; a bound key asking the same is refused
    in_context = "query @inContext(channel: WEB) " + LISTING
    unbound = context(channel=Channel.STORE)
    bound = context(key("pos", channel="STORE"))
    assert shared.key_of(request(in_context), unbound) != shared.key_of(request(in_context), bound)


def test_mutations_refused_requests_and_broken_documents_are_never_shared(shared):
    assert shared.key_of(request("mutation { cartCreate { cart { id } } }"), context()) is None
    rejected = context()
    rejected.rejected = BackendUnavailable("x", "y")
    assert shared.key_of(request(), rejected) is None
    assert shared.key_of(request("{ products(first: 2) { "), context()) is None
    assert shared.key_of(GraphQLRequestData(query=LISTING, variables=None, operation_name=["a"],  # type: ignore[arg-type]
                                            extensions=None), context()) is None
    anonymous = context()
    anonymous.api_key = None
    assert shared.key_of(request(), anonymous) is None


def test_the_key_holds_no_secret(shared):
    assert len(shared.key_of(request(), context())) == 32  # a SHA-256 of the parts


# the cache in front of execution

async def test_a_shared_answer_is_served_again_and_charged_as_the_run_was(shared):
    run = Run()
    first = await ask(shared, context(meter=Meter()), run)
    meter = Meter()
    again = context(key("k2"), meter=meter)
    second = await ask(shared, again, run)
    assert run.runs == 1 and body(second) == body(first) == {"products": {"edges": []}}
    assert (meter.charged, meter.settled, again.cost_requested, again.cost_actual) == ([41], [3], 41, 3)
    assert shared.cache.hits == 1 and shared.cache.misses == 1


async def test_a_hit_over_a_spent_budget_is_refused(shared):
    run = Run()
    await ask(shared, context(), run)
    refused = await ask(shared, context(meter=Meter(refuse=True)), run)
    assert refused.data is None and isinstance(refused.errors[0].original_error, RateLimited)


async def test_no_cache_runs_again_and_replaces_the_answer(shared):
    await ask(shared, context(), Run(data={"v": 1}))
    fresh = await ask(shared, context(), Run(data={"v": 2}), refresh=True)
    assert body(fresh) == {"v": 2}
    assert body(await ask(shared, context(), Run(data={"v": 3}))) == {"v": 2}


async def test_private_answers_and_answers_with_errors_are_never_kept(shared):
    private, failed = Run(touched=frozenset({"content", "private"})), Run(errors=[GraphQLError("boom")])
    for run in (private, failed, private, failed):
        await ask(shared, context(), run)
    assert (private.runs, failed.runs) == (2, 2) and shared.cache.entries == {}


async def test_max_stock_age_bounds_how_long_an_answer_with_stock_is_kept(shared, clock):
    ctx = context()
    ctx.max_stock_age = 8
    ctx.loaders.held.oldest_stock = NOW - timedelta(seconds=3)
    await ask(shared, ctx, Run(touched=frozenset({"content", "stock"})))
    # the oldest figure was 3 s old: the answer is kept until it is 8 s old, not stock_seconds (10)
    clock.now += 4.9
    assert shared.cache.fresh(next(iter(shared.cache.entries))) is not None
    clock.now += 0.1
    assert shared.cache.fresh(next(iter(shared.cache.entries))) is None
    live = context()
    live.max_stock_age = 0
    run = Run(touched=frozenset({"content", "stock"}))
    await ask(shared, live, run)
    await ask(shared, live, run)
    assert run.runs == 2


async def test_an_answer_computed_while_a_change_was_applied_is_not_kept(shared):
    gate = asyncio.Event()
    run = Run(gate=gate)
    asking = asyncio.create_task(ask(shared, context(), run))
    await asyncio.sleep(0)
    shared.cache.invalidate(CatalogInvalidation(products=((7, frozenset({ChangeAspect.PRICE})),)))
    gate.set()
    await asking
    assert shared.cache.entries == {}


# coalescing

async def test_identical_queries_in_flight_share_one_run(shared):
    gate = asyncio.Event()
    run = Run(gate=gate)
    meters = [Meter() for _ in range(50)]
    asking = [asyncio.create_task(ask(shared, context(key(f"k{n}"), meter=m), run)) for n, m in enumerate(meters)]
    await asyncio.sleep(0)
    gate.set()
    answers = await asyncio.gather(*asking)
    assert run.runs == 1 and all(body(a) == body(answers[0]) for a in answers)
    assert all(m.charged == [41] for m in meters[1:]) and shared.cache.coalesced == 49
    assert shared.in_flight == {}


async def test_followers_share_an_answer_with_backend_errors_but_not_a_private_one(shared):
    for run, shared_runs in ((Run(errors=[GraphQLError("down", original_error=BackendUnavailable("odoo", "x"))]), 1),
                             (Run(touched=frozenset({"content", "private"})), 3)):
        run.gate = asyncio.Event()
        asking = [asyncio.create_task(ask(shared, context(), run)) for _ in range(3)]
        await asyncio.sleep(0)
        run.gate.set()
        await asyncio.gather(*asking)
        assert run.runs == shared_runs


@pytest.mark.parametrize("failure", [RuntimeError("boom"), asyncio.CancelledError()])
async def test_a_failed_or_cancelled_first_run_neither_hangs_nor_poisons_the_others(shared, failure):
    gate = asyncio.Event()
    leader_run = Run(gate=gate, fail=failure)
    leader = asyncio.create_task(ask(shared, context(), leader_run))
    await asyncio.sleep(0)
    follower_run = Run()
    follower = asyncio.create_task(ask(shared, context(), follower_run))
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(type(failure)):
        await leader
    # the follower ran on its own, and got its answer
    assert body(await asyncio.wait_for(follower, 1)) == {"products": {"edges": []}} and follower_run.runs == 1
    assert shared.in_flight == {}


async def test_a_cancelled_follower_leaves_the_others_their_answer(shared):
    gate = asyncio.Event()
    run = Run(gate=gate)
    leader = asyncio.create_task(ask(shared, context(), run))
    await asyncio.sleep(0)
    quitter, stayer = (asyncio.create_task(ask(shared, context(), run)) for _ in range(2))
    await asyncio.sleep(0)
    quitter.cancel()
    gate.set()
    assert body(await leader) == body(await stayer) and run.runs == 1


# stale-if-error

async def test_an_expired_answer_stands_in_for_one_a_backend_failed(shared, clock):
    await ask(shared, context(), Run(data={"v": "kept"}))
    clock.now += 61  # past the price lifetime
    outage = GraphQLError("odoo: down", path=["products"], original_error=BackendUnavailable("odoo", "down"))
    ctx = context()
    answer = await ask(shared, ctx, Run(data={"products": None}, errors=[outage]))
    # the kept answer, saying how old it is and what failed
    assert body(answer) == {"v": "kept"} and answer.errors is None
    assert answer.extensions == {"stale": {"ageSeconds": 61, "errors": [
        {"message": "the ERP (odoo) is unavailable", "path": ["products"],
         "extensions": {"code": "BACKEND_UNAVAILABLE", "backend": "odoo"}}]}}
    # past the stale bound, the failure is the answer
    clock.now += 300
    failed = await ask(shared, context(), Run(data={"products": None}, errors=[outage]))
    assert failed.errors == [outage]


async def test_a_failure_that_is_not_a_backends_is_not_hidden(shared, clock):
    await ask(shared, context(), Run(data={"v": "kept"}))
    clock.now += 61
    failed = await ask(shared, context(), Run(errors=[GraphQLError("bad input")]))
    assert failed.errors and not failed.extensions
