"""The redemption ledger in the embedded store: a limit is never passed, even by concurrent
checkouts; a cart takes a use once; a release gives back exactly what was taken."""

from __future__ import annotations

import asyncio
import uuid

from pymongo import AsyncMongoClient

from adapters.mongo.redemptions import MongoRedemptionLedger
from domain.discounts import Claim


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
