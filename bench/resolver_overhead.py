"""What async field resolvers cost strawberry and graphql-core, apart from any I/O.

The listing's shape (50 products, 3 variants each, a money object per variant)
with resolvers that answer constants: once `async def`, once plain `def`, in the
same process, interleaved. Prints the time per execution of each and the ratio.

    .venv/bin/python bench/resolver_overhead.py [--rounds 50] [--smoke]
"""

import argparse
import asyncio
import time
from decimal import Decimal

import strawberry

QUERY = "{ products { sku title brand totalInventory availableForSale " \
        "variants { sku price { amount currencyCode } quantityAvailable availableForSale } } }"
FIELDS = 1 + 50 * (6 + 3 * 6)


@strawberry.type
class Money:
    amount: Decimal
    currency_code: str


PRICE = Money(amount=Decimal("19.99"), currency_code="EUR")


@strawberry.type(name="Variant")
class AsyncVariant:
    sku: str

    @strawberry.field
    async def price(self) -> Money:
        return PRICE

    @strawberry.field
    async def quantity_available(self) -> int:
        return 3

    @strawberry.field
    async def available_for_sale(self) -> bool:
        return True


@strawberry.type(name="Product")
class AsyncProduct:
    sku: str

    @strawberry.field
    async def title(self) -> str:
        return "Coastal Trousers"

    @strawberry.field
    async def brand(self) -> str:
        return "Marlowe"

    @strawberry.field
    async def total_inventory(self) -> int:
        return 9

    @strawberry.field
    async def available_for_sale(self) -> bool:
        return True

    @strawberry.field
    async def variants(self) -> list[AsyncVariant]:
        return [AsyncVariant(sku=f"{self.sku}-{size}") for size in "SML"]


@strawberry.type(name="Variant")
class SyncVariant:
    sku: str

    @strawberry.field
    def price(self) -> Money:
        return PRICE

    @strawberry.field
    def quantity_available(self) -> int:
        return 3

    @strawberry.field
    def available_for_sale(self) -> bool:
        return True


@strawberry.type(name="Product")
class SyncProduct:
    sku: str

    @strawberry.field
    def title(self) -> str:
        return "Coastal Trousers"

    @strawberry.field
    def brand(self) -> str:
        return "Marlowe"

    @strawberry.field
    def total_inventory(self) -> int:
        return 9

    @strawberry.field
    def available_for_sale(self) -> bool:
        return True

    @strawberry.field
    def variants(self) -> list[SyncVariant]:
        return [SyncVariant(sku=f"{self.sku}-{size}") for size in "SML"]


@strawberry.type(name="Query")
class AsyncQuery:
    @strawberry.field
    async def products(self) -> list[AsyncProduct]:
        return [AsyncProduct(sku=f"CG-{n:06d}") for n in range(50)]


@strawberry.type(name="Query")
class SyncQuery:
    @strawberry.field
    async def products(self) -> list[SyncProduct]:
        return [SyncProduct(sku=f"CG-{n:06d}") for n in range(50)]


async def time_schema(schema: strawberry.Schema, rounds: int) -> float:
    result = await schema.execute(QUERY)
    assert not result.errors, result.errors
    started = time.perf_counter()
    for _ in range(rounds):
        await schema.execute(QUERY)
    return (time.perf_counter() - started) / rounds * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--smoke", action="store_true",
                        help="only check that the script works (make test): one execution per round")
    args = parser.parse_args()
    if args.smoke:
        args.rounds = 1
    schemas = {"async": strawberry.Schema(AsyncQuery), "sync": strawberry.Schema(SyncQuery)}
    timings: dict[str, list[float]] = {name: [] for name in schemas}
    for _ in range(3):  # interleaved, so a noisy neighbour slows both alike
        for name, schema in schemas.items():
            timings[name].append(await time_schema(schema, args.rounds))
    best = {name: min(values) for name, values in timings.items()}
    print(f"{FIELDS:,} fields per execution; best of 3 × {args.rounds} executions")
    for name, ms in best.items():
        print(f"  {name:5} resolvers: {ms:6.1f} ms")
    print(f"  async / sync: {best['async'] / best['sync']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
