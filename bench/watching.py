"""Benchmark: `SavedListStore.watching` (what the reminder worker reads for each batch of changes)
over 100,000 saved items, on the embedded store (SQLite file) or a MongoDB given by URL.

Fills `--customers` customers' default lists with `--items` items each, SKUs drawn from a catalog
of `--skus` with a few popular ones (a tenth of the lists save one of ten best-sellers), then times:
the watchers of one SKU (first page of 100), of a batch of 50 SKUs read to the end in pages of 500,
and of a best-seller read to the end. Prints a Markdown table for the README.

    .venv/bin/python bench/watching.py [--customers 400] [--items 250] [--skus 3000] [--mongo-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the layers are top-level packages there

from pymongo import AsyncMongoClient  # noqa: E402

from adapters.mongo.embedded import IN_MEMORY, new_server  # noqa: E402
from adapters.mongo.lists import MongoSavedListStore, to_document  # noqa: E402
from domain.lists import DEFAULT_LIST_NAME, DEFAULT_SLOT, ListRules, SavedItem, SavedList  # noqa: E402

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def sku(n: int) -> str:
    return f"CG-{n:06d}-M"


def lists(customers: int, per_list: int, skus: int, seed: int = 7) -> list[SavedList]:
    pick = random.Random(seed)
    made = []
    for c in range(customers):
        chosen = pick.sample(range(10, skus), per_list - 1) + [pick.randrange(10) if c % 10 == 0 else 10 + c % (skus - 10)]
        items = tuple(SavedItem(str(n + 1), sku(s), NOW, "WEB", Decimal("19.90"), "EUR", 20)
                      for n, s in enumerate(dict.fromkeys(chosen)))
        made.append(SavedList(f"list-{c:06d}", DEFAULT_LIST_NAME, 1, NOW, NOW, f"cust-{c:06d}", True, items,
                              slot=DEFAULT_SLOT, next_item_number=len(items) + 1))
    return made


async def read_all(store: MongoSavedListStore, skus: list[str], page: int) -> tuple[int, int]:
    after, seen, pages = None, 0, 0
    while True:
        watches = await store.watching(skus, after, page)
        pages += 1
        seen += len(watches)
        if len(watches) < page:
            return seen, pages
        after = f"{watches[-1].list_id}/{watches[-1].item.item_id}"


def ms(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20)
    return f"{statistics.median(samples):.1f} / {cuts[18]:.1f}"


async def run(args: argparse.Namespace) -> None:
    server = None
    url = args.mongo_url
    with tempfile.TemporaryDirectory() as folder:
        if not url:
            server = new_server(IN_MEMORY if args.memory else str(Path(folder) / "bench.sqlite"))
            url = (await server.start()).uri
        client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
        await client.drop_database("bench_watching")
        store = MongoSavedListStore(client, "bench_watching")
        await store.prepare()
        made = lists(args.customers, args.items, args.skus)
        started = time.perf_counter()
        for start in range(0, len(made), 500):
            await store.lists.insert_many([to_document(s) for s in made[start:start + 500]])
        total = sum(len(s.items) for s in made)
        print(f"{total} saved items in {len(made)} lists, written in {time.perf_counter() - started:.1f} s")
        pick = random.Random(1)
        one = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            await store.watching([sku(pick.randrange(10, args.skus))], None, 100)
            one.append((time.perf_counter() - t) * 1000)
        batch, counts = [], []
        for _ in range(max(args.rounds // 10, 5)):
            t = time.perf_counter()
            counts.append((await read_all(store, [sku(pick.randrange(10, args.skus)) for _ in range(50)], 500))[0])
            batch.append((time.perf_counter() - t) * 1000)
        popular = []
        for n in range(10):
            t = time.perf_counter()
            seen, _ = await read_all(store, [sku(n)], 500)
            popular.append((time.perf_counter() - t) * 1000)
        plan = await store.lists.find({"items.sku": {"$in": [sku(20)]}, "customer_id": {"$type": "string"},
                                       "status": "ACTIVE"}).sort("_id", 1).explain()
        await client.drop_database("bench_watching")
        await client.close()
        if server is not None:
            await server.close()
    store_name = "MongoDB at --mongo-url" if args.mongo_url else \
        f"embedded store ({'in memory' if args.memory else 'SQLite file'})"
    print(f"\n{store_name}, {total:,} saved items, index used: {'saved_item_skus' in str(plan)}\n")
    print("| read | watchers | median / p95 ms |")
    print("|---|---|---|")
    print(f"| one SKU, first page of 100 | ~{total // args.skus} | {ms(one)} |")
    print(f"| 50 SKUs, to the end in pages of 500 | {statistics.mean(counts):.0f} | {ms(batch)} |")
    print(f"| a best-seller, to the end in pages of 500 | {seen} | {ms(popular)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--items", type=int, default=250)
    parser.add_argument("--skus", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--mongo-url", default="")
    parser.add_argument("--memory", action="store_true", help="the embedded store in memory (as the tests run it)")
    parser.add_argument("--smoke", action="store_true", help="a few lists, in memory: does it still run")
    args = parser.parse_args()
    if args.smoke:
        args.customers, args.items, args.skus, args.rounds, args.memory = 40, 20, 100, 5, True
    assert ListRules().max_items >= args.items
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
