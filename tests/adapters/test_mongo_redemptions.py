"""The redemption ledger in the embedded store: a limit is never passed, even by concurrent
checkouts; a cart takes a use once; a release gives back exactly what was taken."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.redemptions import MongoRedemptionLedger
from domain.discounts import Claim, Usage


def claim(code: str, allowed: int | None, *buyers: str, per_buyer: int | None = None) -> Claim:
    return Claim(code, allowed, buyers, per_buyer)


async def test_twenty_concurrent_checkouts_take_the_last_three_uses_once(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    ledger = MongoRedemptionLedger(client, "test_redemptions")
    await ledger.prepare()
    code = f"c-{uuid.uuid4().hex[:8]}"
    refused = await asyncio.gather(*(ledger.reserve(f"cart-{n}", [claim(code, 3, f"email:{n}@x.example")])
                                     for n in range(20)))
    assert refused.count(None) == 3 and refused.count(code) == 17
    assert (await ledger.usage([code], []))[code].total == 3
    await client.close()


async def test_a_cart_takes_a_use_once_and_a_release_gives_it_back(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    ledger = MongoRedemptionLedger(client, "test_redemptions")
    code, other = f"c-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    buyer = "email:ana@example.com"
    assert await ledger.reserve("cart-a", [claim(code, 5, buyer, per_buyer=1)]) is None
    assert await ledger.reserve("cart-a", [claim(code, 5, buyer, per_buyer=1)]) is None  # a retry
    usage = (await ledger.usage([code], [buyer]))[code]
    assert (usage.total, usage.by_buyer) == (1, 1)
    # the same buyer's second cart is refused (one use each), and takes nothing of the other code either
    assert await ledger.reserve("cart-b", [claim(other, None, buyer), claim(code, 5, buyer, per_buyer=1)]) == code
    assert (await ledger.usage([other], [buyer]))[other].total == 0
    # a release gives back; a confirmed use stays
    await ledger.release("cart-a")
    assert (await ledger.usage([code], [buyer]))[code].total == 0
    assert await ledger.reserve("cart-b", [claim(code, 5, buyer, per_buyer=1)]) is None
    await ledger.confirm("cart-b")
    await ledger.release("cart-b")
    assert (await ledger.usage([code], [buyer]))[code] == type(usage)(1, 1)
    await client.close()


async def test_a_reservation_left_by_a_dead_checkout_stops_counting_after_the_claim_time(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    ledger = MongoRedemptionLedger(client, "test_redemptions", stale_seconds=120, clock=lambda: now[0])
    code, buyer = f"c-{uuid.uuid4().hex[:8]}", "email:bo@example.com"
    # two checkouts reserve the code's two uses; the process of "dead" dies before ordering
    assert await ledger.reserve("dead", [claim(code, 2, buyer, per_buyer=1)]) is None
    assert await ledger.reserve("ordered", [claim(code, 2)]) is None
    assert await ledger.reserve("late", [claim(code, 2)]) == code
    assert await ledger.stale(code, 5) == []  # within the claim time: still held
    now[0] += timedelta(seconds=121)
    assert (await ledger.usage([code], [buyer]))[code] == Usage(0, 0)  # neither counts now
    stale = await ledger.stale(code, 5)
    assert [u.cart_id for u in stale] == ["dead", "ordered"]
    # "ordered" has its order at the ERP: confirmed, it counts again; "dead" has none: given back
    await ledger.confirm("ordered")
    # a checkout of "dead" renewed its use meanwhile: it is no longer stale, and not dropped
    assert await ledger.reserve("dead", [claim(code, 2, buyer, per_buyer=1)]) is None
    assert not await ledger.drop_stale(stale[0])
    assert (await ledger.usage([code], [buyer]))[code] == Usage(2, 1)
    # once it is stale again it is dropped, and the late checkout takes the use
    now[0] += timedelta(seconds=121)
    [again] = await ledger.stale(code, 5)
    assert await ledger.drop_stale(again)
    assert await ledger.reserve("late", [claim(code, 2)]) is None
    assert (await ledger.usage([code], [buyer]))[code] == Usage(2, 0)
    await client.close()
