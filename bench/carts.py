"""Benchmark: cartLinesAdd and a cart read through the gateway, against a bare
`find_one_and_update` loop on the same embedded store (what the gateway adds).

Starts the simulators, one embedded store (SQLite file) and the gateway on it; creates
`--carts` carts; wrk POSTs to a random one of them per request. The baseline runs in this
process with `--connections` concurrent loops, each updating a random document of its
own collection in that store. Prints a Markdown table for the README.

    .venv/bin/python bench/carts.py [--duration 10] [--connections 8] [--size 1000] [--carts 200] [--smoke]
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from harness import load_parser, measure, parse_for_wrk, post_any_script, start_stack  # first: puts the layers on the path
from pymongo import AsyncMongoClient

from gateway.processes import Supervisor, cli_argv, free_port

ADD = """mutation($cart: ID!, $variant: ID!) { cartLinesAdd(cartId: $cart, lines: [{merchandiseId: $variant}]) {
  cart { version totalQuantity } userErrors { code } } }"""
READ = """query($cart: ID!) { cart(id: $cart) { version totalQuantity
  lines { quantity merchandise { sku } cost { totalAmount { amount } } } cost { totalAmount { amount } } } }"""
CREATE = "mutation { cartCreate(input: {}) { cart { id } } }"
VARIANTS = "{ products(first: 50) { edges { node { variants { id quantityAvailable } } } } }"


async def bare_updates(url: str, duration: float, connections: int, documents: int) -> dict[str, float]:
    """The store's own figure: concurrent version-checked-style updates of random documents."""
    client = AsyncMongoClient(url, w="majority", tz_aware=True)
    collection = client.bench.carts
    await collection.delete_many({})
    await collection.insert_many([{"_id": n, "version": 1, "lines": []} for n in range(documents)])
    latencies: list[float] = []
    deadline = time.monotonic() + duration

    async def loop() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await collection.find_one_and_update({"_id": random.randrange(documents)},
                                                 {"$inc": {"version": 1}, "$set": {"note": "x"}})
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(connections)))
    elapsed = time.monotonic() - began
    await client.close()
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "loaded_p50": cuts[49], "loaded_p99": cuts[98], "p50": None}


def main() -> None:
    parser = load_parser(__doc__)
    parser.add_argument("--carts", type=int, default=200)
    args = parse_for_wrk(parser, carts=10)
    sup = Supervisor()
    try:
        store_port = free_port()
        store_path = Path(tempfile.mkdtemp()) / "carts.sqlite"
        sup.start("store", cli_argv("embedded-store", "--path", str(store_path), "--port", str(store_port)))
        sup.wait_until("store", f"tcp://127.0.0.1:{store_port}")
        mongo_url = f"mongodb://127.0.0.1:{store_port}/?directConnection=true"
        _, gateway = start_stack(args.size, sup, mongo_url=mongo_url)
        base = gateway.base
        with httpx.Client(base_url=base, timeout=30, headers={"X-API-Key": gateway.key}) as client:
            def gql(query: str, variables: dict | None = None) -> dict:
                return client.post("/graphql", json={"query": query, "variables": variables or {}}).json()["data"]

            found = [v for e in gql(VARIANTS)["products"]["edges"] for v in e["node"]["variants"]]
            plenty = [v["id"] for v in found if v["quantityAvailable"] >= 200]
            carts = [gql(CREATE)["cartCreate"]["cart"]["id"] for _ in range(args.carts)]
        adds = [json.dumps({"query": ADD, "variables": {"cart": c, "variant": random.choice(plenty)}}) for c in carts]
        reads = [json.dumps({"query": READ, "variables": {"cart": c}}) for c in carts]
        rows = [
            ("cartLinesAdd through the gateway", measure(f"{base}/graphql", post_any_script(adds, gateway.key), args)),
            ("cart read through the gateway", measure(f"{base}/graphql", post_any_script(reads, gateway.key), args)),
            ("bare find_one_and_update, same store", asyncio.run(
                bare_updates(mongo_url, args.duration, args.connections, args.carts))),
        ]
    finally:
        sup.stop_all()
    baseline = rows[-1][1]["rps"]
    print(f"\nCart benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.connections} connections, {args.duration} s per run, "
          f"{args.carts} carts\n")
    print(f"| scenario | requests/s ({args.connections} connections) | p50 ms under load | p99 ms under load "
          "| p50 ms, one at a time | throughput vs bare store |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        alone = f"{r['p50']:.1f}" if r["p50"] is not None else ""
        print(f"| {name} | {r['rps']:.0f} | {r['loaded_p50']:.1f} | {r['loaded_p99']:.1f} | {alone} "
              f"| {r['rps'] / baseline:.1%} |")


if __name__ == "__main__":
    main()
