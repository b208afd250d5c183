"""Benchmark: subscriptions (README: Subscriptions).

One `serve` process over the simulators; `--connections` WebSocket connections (graphql-transport-ws)
with `--per-connection` stockChanged subscriptions each (1,000 by default: 50 × 20, the default
`subscriptions.max_per_connection`), every one naming the measured SKU and four others. Each round
counts the SKU's stock anew through the ERP's JSON-2 API and times, from that write, the arrival of
the change at every subscriber (p50/p99 over all deliveries of all rounds, and the spread from the
first to the last delivery of a round). The baseline in the same run: one client polling
`product { variants { quantityAvailable } }` every 100 ms with `@inContext(maxStockAge: 0)` (live
from the ERP), timed from the same write until it sees the new figure.

The gateway reads the ERP's change feed every 0.25 s (`cache.invalidation_poll_seconds`), a change
only once it has settled for 1 s (`catalog.changes_settle_seconds`' minimum), and its event log every
0.1 s (`subscriptions.poll_seconds`): most of the delay is the settle time, which the polling
baseline does not wait for (it pays instead with a request per client every 100 ms).

    .venv/bin/python bench/subscriptions.py [--size 200] [--connections 50] [--per-connection 20] [--rounds 5] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import httpx
from harness import SMOKE_SIZE, Gateway, percentile, rss_mb, start_gateway, start_simulators
from websockets.asyncio.client import ClientConnection, connect

from gateway.processes import Supervisor
from simulators.catalog import LOCATIONS, Catalog

STOCK = "subscription($skus: [String!]!) { stockChanged(skus: $skus) { eventId sku quantity } }"
POLL = """query($sku: String!) @inContext(maxStockAge: 0) { product(sku: $sku) { variants { sku quantityAvailable } } }"""
BASELINE_EVERY = 0.1
ODOO = {"Authorization": "bearer odoo-demo-key"}
ROUND_TIMEOUT = 30.0


def count_stock(odoo: str, variant_id: int, quantity: int) -> None:
    """A physical inventory count of the variant in DC1, as Odoo's UI applies one."""
    quant = httpx.post(f"{odoo}/json/2/stock.quant/create", headers=ODOO, json={
        "context": {"inventory_mode": True},
        "vals_list": [{"product_id": variant_id, "location_id": LOCATIONS[0].stock_location_id,
                       "inventory_quantity": quantity}]})
    quant.raise_for_status()
    httpx.post(f"{odoo}/json/2/stock.quant/action_apply_inventory", headers=ODOO,
               json={"ids": quant.json()}).raise_for_status()


async def open_connection(gateway: Gateway, skus: list[str], subscriptions: int) -> ClientConnection:
    ws = await connect(gateway.base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                       open_timeout=30, max_queue=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": gateway.key}}))
    ack = json.loads(await ws.recv())
    if ack != {"type": "connection_ack"}:
        raise SystemExit(f"the gateway refused the connection: {ack}")
    for n in range(subscriptions):
        await ws.send(json.dumps({"id": str(n), "type": "subscribe",
                                  "payload": {"query": STOCK, "variables": {"skus": skus}}}))
    return ws


async def deliveries(ws: ClientConnection, sku: str, arrived: list[float], expected: int) -> None:
    """Records the arrival time of each change of `sku` until `expected` have come."""
    while len(arrived) < expected:
        message = json.loads(await ws.recv())
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        elif message["type"] == "next":
            if message["payload"]["data"]["stockChanged"]["sku"] == sku:
                arrived.append(time.perf_counter())
        else:
            raise SystemExit(f"unexpected message: {message}")


async def polled(gateway: Gateway, sku: str, before: int, began: float) -> float:
    """Seconds from `began` until a client polling every 100 ms sees a figure other than `before`."""
    async with httpx.AsyncClient(base_url=gateway.base, headers={"X-API-Key": gateway.key}, timeout=10) as http:
        while time.perf_counter() - began < ROUND_TIMEOUT:
            answer = (await http.post("/graphql", json={"query": POLL, "variables": {"sku": sku}})).json()
            if answer["data"]["product"]["variants"][0]["quantityAvailable"] != before:
                return time.perf_counter() - began
            await asyncio.sleep(BASELINE_EVERY)
    raise SystemExit("the polling client never saw the change")


async def current(gateway: Gateway, sku: str) -> int:
    async with httpx.AsyncClient(base_url=gateway.base, headers={"X-API-Key": gateway.key}, timeout=10) as http:
        answer = (await http.post("/graphql", json={"query": POLL, "variables": {"sku": sku}})).json()
    return answer["data"]["product"]["variants"][0]["quantityAvailable"]


async def measure(args: argparse.Namespace, gateway: Gateway, odoo: str, catalog: Catalog) -> dict[str, object]:
    target = catalog.products[3].variants[0]
    others = [p.variants[0].sku for p in catalog.products[4:8]]
    rss_before = rss_mb(gateway.pid)
    sockets = [await open_connection(gateway, [target.sku, *others], args.per_connection)
               for _ in range(args.connections)]
    subscribers = args.connections * args.per_connection
    await asyncio.sleep(1.0)  # every subscription registered with the hub
    rss_open = rss_mb(gateway.pid)
    latencies: list[float] = []
    spreads: list[float] = []
    baseline: list[float] = []
    try:
        for round_ in range(args.rounds):
            before = await current(gateway, target.sku)
            arrived: list[list[float]] = [[] for _ in sockets]
            began = time.perf_counter()
            await asyncio.to_thread(count_stock, odoo, target.erp_id, 500 + round_ * 7)
            listeners = [deliveries(ws, target.sku, got, args.per_connection) for ws, got in zip(sockets, arrived)]
            waited = await asyncio.wait_for(asyncio.gather(polled(gateway, target.sku, before, began), *listeners),
                                            ROUND_TIMEOUT)
            baseline.append(waited[0])
            times = [t - began for got in arrived for t in got]
            latencies += times
            spreads.append(max(times) - min(times))
            await asyncio.sleep(1.5)  # the next count in another second of the ERP's clock
    finally:
        for ws in sockets:
            await ws.close()
    return {"subscribers": subscribers, "latencies": latencies, "spreads": spreads, "baseline": baseline,
            "rss": (rss_before, rss_open)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=200, help="products in the simulators' catalog")
    parser.add_argument("--connections", type=int, default=50, help="WebSocket connections")
    parser.add_argument("--per-connection", type=int, default=20, help="subscriptions on each connection")
    parser.add_argument("--rounds", type=int, default=5, help="stock counts written to the ERP")
    parser.add_argument("--smoke", action="store_true", help="a quick check that the script works")
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(size=SMOKE_SIZE, connections=2, per_connection=3, rounds=1)
        print("Smoke run: the figures mean nothing.")
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        gateway = start_gateway(sims, sup, settings={
            "CGW_CACHE__INVALIDATION_POLL_SECONDS": "0.25", "CGW_CATALOG__CHANGES_SETTLE_SECONDS": "1",
            "CGW_SUBSCRIPTIONS__POLL_SECONDS": "0.1",
            "CGW_SUBSCRIPTIONS__MAX_CONNECTIONS_PER_KEY": str(max(50, args.connections))})
        figures = asyncio.run(measure(args, gateway, sims["odoo"], Catalog(args.size)))
    finally:
        sup.stop_all()
    latencies, spreads, baseline = figures["latencies"], figures["spreads"], figures["baseline"]
    assert isinstance(latencies, list) and isinstance(spreads, list) and isinstance(baseline, list)
    rss_before, rss_open = figures["rss"]  # type: ignore[misc]
    print(f"\nSubscription benchmark, {datetime.now(UTC).date()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}: {figures['subscribers']:,} stockChanged subscriptions over "
          f"{args.connections} connections, {args.rounds} stock counts written to the ERP\n")
    print("| from the ERP write | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    print(f"| ERP write → delivery, subscriptions | {percentile(latencies, 0.5) * 1000:.0f} "
          f"| {percentile(latencies, 0.99) * 1000:.0f} | {max(latencies) * 1000:.0f} |")
    print(f"| first → last delivery of a round | {percentile(spreads, 0.5) * 1000:.0f} "
          f"| {percentile(spreads, 0.99) * 1000:.0f} | {max(spreads) * 1000:.0f} |")
    print(f"| ERP write → seen, polling every 100 ms | {percentile(baseline, 0.5) * 1000:.0f} "
          f"| {percentile(baseline, 0.99) * 1000:.0f} | {max(baseline) * 1000:.0f} |")
    print(f"\nGateway RSS: {rss_before:.0f} MB before, {rss_open:.0f} MB with the subscriptions open; "
          f"median of {len(latencies):,} deliveries {statistics.median(latencies):.2f} s")


if __name__ == "__main__":
    main()
