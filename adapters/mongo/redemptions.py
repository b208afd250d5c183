"""The redemption ledger of discount codes in MongoDB.

`coupon_uses` holds one counter per code (`_id` the code) and per code and buyer (`_id`
`<code>|email:<address>` or `<code>|customer:<id>`). A use is taken with one conditional
increment per counter, `{_id, used: {$lt: allowed}}` upserted: when the counter is at its limit the
filter matches nothing, the upsert's insert meets the unique `_id` and fails, so of two checkouts
after the last use exactly one gets it. `coupon_redemptions` holds what each cart took (`_id`
`<cart>|<code>`, the counters it raised, `reserved` or `confirmed`), so a retried checkout takes
nothing twice and a release gives back exactly what was taken.

A reservation carries its time (`at`, renewed by each checkout of its cart). One older than
`stale_seconds` (the carts' claim time) that was never confirmed was left by a process that died
between reserving and ordering: `usage` no longer counts it, and `stale` lists it for the checkout
that meets the limit to ask the ERP about; `drop_stale` gives it back only if its time is still the
one seen, so a checkout of that cart that renewed it meanwhile keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import call
from domain.discounts import Claim, StaleUse, Usage

USES = "coupon_uses"
REDEMPTIONS = "coupon_redemptions"


class MongoRedemptionLedger:
    def __init__(self, client: AsyncMongoClient, database: str, *, stale_seconds: float = 120.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.uses = client[database][USES]
        self.redemptions = client[database][REDEMPTIONS]
        self.stale_after = timedelta(seconds=stale_seconds)
        self.clock = clock

    async def prepare(self) -> None:
        await call(self.redemptions.create_index([("cart_id", 1), ("state", 1)], name="by_cart"),
                   "creating the redemption index")
        await call(self.redemptions.create_index([("code", 1), ("state", 1), ("at", 1)], name="by_code"),
                   "creating the redemption index")

    async def usage(self, codes: Sequence[str], buyer_keys: Sequence[str]) -> dict[str, Usage]:
        if not codes:
            return {}
        ids = [*codes, *(f"{code}|{key}" for code in codes for key in buyer_keys)]
        found = {doc["_id"]: int(doc.get("used", 0))
                 for doc in await call(self.uses.find({"_id": {"$in": ids}}).to_list(None), "reading code uses")}
        for doc in await call(self.redemptions.find(self._stale({"$in": list(codes)}), {"counters": 1})
                              .to_list(None), "reading stale redemptions"):
            for counter in doc.get("counters", ()):
                if counter in found:
                    found[counter] -= 1  # left by a dead checkout: not counted
        return {code: Usage(found.get(code, 0), max((found.get(f"{code}|{key}", 0) for key in buyer_keys), default=0))
                for code in codes}

    async def reserve(self, cart_id: str, claims: Sequence[Claim]) -> str | None:
        held = {doc["code"] for doc in await call(
            self.redemptions.find({"cart_id": cart_id}, {"code": 1}).to_list(None), "reading redemptions")}
        for code in held - {c.code for c in claims}:
            await self._give_back({"_id": f"{cart_id}|{code}", "state": "reserved"})
        taken: list[str] = []
        for claim in claims:
            if claim.code in held and (await call(self.redemptions.update_one(
                    {"_id": f"{cart_id}|{claim.code}"}, {"$set": {"at": self.clock()}}), "renewing a redemption")
                                       ).matched_count:
                continue  # held (and renewed: no longer stale); gone meanwhile (dropped as stale): taken anew
            counters = [(claim.code, claim.allowed), *((f"{claim.code}|{k}", claim.allowed_per_buyer)
                                                       for k in claim.buyer_keys)]
            raised: list[str] = []
            for counter, allowed in counters:
                if not await self._take(counter, allowed):
                    await self._lower(raised)
                    for code in taken:
                        await self._give_back({"_id": f"{cart_id}|{code}", "state": "reserved"})
                    return claim.code
                raised.append(counter)
            await call(self.redemptions.insert_one({
                "_id": f"{cart_id}|{claim.code}", "cart_id": cart_id, "code": claim.code, "counters": raised,
                "state": "reserved", "at": self.clock()}), "recording a redemption")
            taken.append(claim.code)
        return None

    async def confirm(self, cart_id: str) -> None:
        await call(self.redemptions.update_many({"cart_id": cart_id, "state": "reserved"},
                                                {"$set": {"state": "confirmed", "confirmed_at": self.clock()}}),
                   "confirming redemptions")

    async def release(self, cart_id: str) -> None:
        for doc in await call(self.redemptions.find({"cart_id": cart_id, "state": "reserved"}, {"_id": 1})
                              .to_list(None), "reading redemptions"):
            await self._give_back({"_id": doc["_id"], "state": "reserved"})

    async def stale(self, code: str, limit: int) -> list[StaleUse]:
        docs = await call(self.redemptions.find(self._stale(code), {"cart_id": 1, "at": 1}).sort("at", 1)
                          .limit(limit).to_list(None), "reading stale redemptions")
        return [StaleUse(doc["cart_id"], code, doc["at"]) for doc in docs]

    async def drop_stale(self, use: StaleUse) -> bool:
        return await self._give_back({"_id": f"{use.cart_id}|{use.code}", "state": "reserved", "at": use.at})

    def _stale(self, code: object) -> dict:
        return {"code": code, "state": "reserved", "at": {"$lt": self.clock() - self.stale_after}}

    async def _take(self, counter: str, allowed: int | None) -> bool:
        if allowed is None:
            await call(self.uses.update_one({"_id": counter}, {"$inc": {"used": 1}}, upsert=True), "counting a use")
            return True
        if allowed <= 0:
            return False
        try:
            await self.uses.update_one({"_id": counter, "used": {"$lt": allowed}}, {"$inc": {"used": 1}}, upsert=True)
        except DuplicateKeyError:
            return False  # at its limit: the filter matched nothing and the insert met the existing counter
        return True

    async def _lower(self, counters: Sequence[str]) -> None:
        for counter in counters:
            await call(self.uses.update_one({"_id": counter}, {"$inc": {"used": -1}}), "giving a use back")

    async def _give_back(self, which: dict) -> bool:
        """Deletes one reserved redemption, then lowers its counters: of two releases, one does."""
        doc = await call(self.redemptions.find_one_and_delete(which), "releasing a redemption")
        if doc is not None:
            await self._lower(doc.get("counters", ()))
        return doc is not None
