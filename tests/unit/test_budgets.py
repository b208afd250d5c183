"""Shared budgets: leased slices bound what every process admits together, with about one store
round trip per slice, and a spent bucket costs no round trips until it has refilled."""

from __future__ import annotations

from domain.api_keys import BucketState
from gateway.budgets import SharedBudgets


class MemoryBudgetStore:
    def __init__(self) -> None:
        self.buckets: dict[str, BucketState] = {}
        self.round_trips = 0
        self.lose_next_swaps = 0  # another process wins this many compare-and-swaps

    async def prepare(self) -> None:
        pass

    async def read(self, bucket_id: str) -> BucketState | None:
        self.round_trips += 1
        return self.buckets.get(bucket_id)

    async def swap(self, bucket_id: str, new: BucketState, expected_version: int | None) -> bool:
        self.round_trips += 1
        current = self.buckets.get(bucket_id)
        if self.lose_next_swaps:
            self.lose_next_swaps -= 1
            return False
        if (current.version if current else None) != expected_version:
            return False
        self.buckets[bucket_id] = new
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def spend(budgets: SharedBudgets, times: int, per_minute: int = 600, amount: float = 1,
                bucket: str = "k:requests") -> int:
    return sum([(await budgets.take(bucket, per_minute, amount)).allowed for _ in range(times)])


async def test_a_minute_of_budget_costs_one_round_trip_pair_per_slice():
    store, clock = MemoryBudgetStore(), Clock()
    budgets = SharedBudgets(store, lease_fraction=0.1, clock=clock)
    assert await spend(budgets, 600) == 600
    assert store.round_trips == 2 * 10  # a read and a swap per slice of 60
    refused = await budgets.take("k:requests", 600, 1)
    assert not refused.allowed and refused.remaining == 0 and refused.retry_after == 1
    trips = store.round_trips
    assert await spend(budgets, 100) == 0
    assert store.round_trips == trips  # the refusal is remembered until the bucket has refilled


async def test_two_processes_together_admit_no_more_than_the_shared_bucket():
    store, clock = MemoryBudgetStore(), Clock()
    first, second = (SharedBudgets(store, lease_fraction=0.1, clock=clock) for _ in range(2))
    admitted = 0
    for _ in range(400):
        admitted += await spend(first, 1) + await spend(second, 1)
    assert admitted == 600


async def test_the_bucket_refills_continuously():
    store, clock = MemoryBudgetStore(), Clock()
    budgets = SharedBudgets(store, lease_fraction=0.1, clock=clock)
    assert await spend(budgets, 700) == 600
    clock.now += 6  # 600 a minute: 60 back
    assert await spend(budgets, 100) == 60
    clock.now += 600
    decision = await budgets.take("k:requests", 600, 1)
    assert decision.allowed and decision.limit == 600 and decision.remaining >= 598


async def test_an_operation_larger_than_a_slice_leases_what_it_needs_and_gives_back_the_rest():
    store, clock = MemoryBudgetStore(), Clock()
    budgets = SharedBudgets(store, lease_fraction=0.1, clock=clock)
    assert (await budgets.take("k:cost", 1_000, 500)).allowed
    budgets.give_back("k:cost", 1_000, 400)  # it cost 100 in the end
    assert await spend(budgets, 10, per_minute=1_000, amount=100, bucket="k:cost") == 9


async def test_a_refusal_says_when_the_amount_will_be_there():
    store, clock = MemoryBudgetStore(), Clock()
    budgets = SharedBudgets(store, lease_fraction=0.1, clock=clock)
    assert await spend(budgets, 60, per_minute=60) == 60
    refused = await budgets.take("k:requests", 60, 30)
    assert not refused.allowed and refused.retry_after == 30 and refused.reset_seconds == 60


async def test_lost_swaps_are_retried_against_the_fresh_bucket():
    store, clock = MemoryBudgetStore(), Clock()
    budgets = SharedBudgets(store, lease_fraction=0.1, clock=clock)
    store.lose_next_swaps = 3
    assert (await budgets.take("k:requests", 600, 1)).allowed
    assert store.round_trips == 8


async def test_an_operation_that_cost_more_than_its_charge_takes_the_rest_down_to_an_empty_bucket():
    store, clock = MemoryBudgetStore(), Clock()
    budgets = SharedBudgets(store, lease_fraction=0.1, clock=clock)
    assert (await budgets.take("k:cost", 1_000, 10)).allowed
    # it was estimated at 10 and ran 300 (a list longer than assumed): the 290 beyond are taken
    after = await budgets.take_spent("k:cost", 1_000, 290)
    assert after.allowed and after.remaining == 700
    # more than the bucket holds: it is emptied, never below, and the next operation is refused
    assert (await budgets.take_spent("k:cost", 1_000, 5_000)).remaining == 0
    assert not (await budgets.take("k:cost", 1_000, 1)).allowed
    clock.now += 6  # 100 back, not a debt of 4,300 to pay first
    assert (await budgets.take("k:cost", 1_000, 100)).allowed
