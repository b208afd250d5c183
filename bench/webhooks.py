"""Benchmark: partner webhook deliveries per second (README: Partner webhooks).

Every row sends signed POSTs to one local receiver (a plain Starlette endpoint answering 200 in a
process of its own), with the sender's concurrency (resolvers/webhooks/sending.py, 32 at once):

1. baseline: the bare signed POSTs (adapters/webhooks.py's PartnerPoster), no outbox;
2. the outbox alone: deliveries already decided, sent by `deliver_due` (claim, POST, settle each, in the
   embedded store in memory, in this process: its work is counted);
3. whole worker passes: STOCK events published to the live log, followed, each SKU's quantity read from
   the ERP simulator (one batched read per batch and channel), the deliveries stored, then sent;

each for 1 endpoint and for 20 endpoints (every event goes to each). The embedded store's writes slow
down with every document a collection holds (its inserts are quadratic), which bounds the sizes.

    .venv/bin/python bench/webhooks.py [--size 1000] [--events 100] [--endpoints 20] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
from harness import SMOKE_SIZE, start_plain, start_simulators

from adapters.mongo.embedded import IN_MEMORY, new_server
from adapters.webhooks import PartnerPoster
from domain.api_keys import KeyKind
from domain.records import LiveEventKind
from domain.webhooks import Delivery, Endpoint, Secret, WebhookEventKind, delivery_id
from gateway.processes import Supervisor
from gateway.settings import load_settings
from gateway.wiring import build_services
from resolvers import api_keys
from resolvers.webhooks.sending import CONCURRENCY, deliver_due
from resolvers.webhooks.worker import WebhookWorker
from simulators.catalog import Catalog

BODY = b'{"type":"stock.changed","timestamp":"2026-12-01T00:00:00+00:00","data":{"sku":"X","channel":"WEB","quantity":7}}'
SECRET = "whsec_" + "A" * 32


class BenchClock:
    """Real time, moved a second on at each pass so the worker's lease lets the next one run."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self) -> None:
        self.ahead += timedelta(seconds=2)


async def bare_posts(url: str, count: int) -> float:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        poster = PartnerPoster(client, 10.0, allow_private_targets=True)
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(n: int) -> None:
            async with limit:
                status, error = await poster.post(url, [SECRET], f"msg_{n}", int(time.time()), BODY)
                assert error is None, error

        await asyncio.gather(*(one(n) for n in range(CONCURRENCY)))  # the connections opened first, as a worker has
        began = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - began)


def settings_env(sims: dict[str, str], mongo_url: str, database: str) -> dict[str, str]:
    env = {f"CGW_BACKENDS__{n.upper()}__BASE_URL": url for n, url in sims.items()}
    return env | {"CGW_CONFIG": os.devnull, "CGW_MONGO__URL": mongo_url, "CGW_MONGO__DATABASE": database,
                  "CGW_BACKENDS__ODOO__BRAND_FIELD": "product_brand_id", "CGW_CATALOG__STOCK_CACHE_SECONDS": "0",
                  "CGW_WEBHOOKS__ALLOW_HTTP": "true", "CGW_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true",
                  "CGW_WEBHOOKS__MAX_ENDPOINTS_PER_KEY": "1000"}


async def register(services, url: str, count: int, now: datetime) -> list[Endpoint]:
    """`count` endpoints of one admin key (an endpoint hears nothing once its key no longer stands)."""
    hooks = services.webhooks
    key, _ = await api_keys.issue(services.keys, api_keys.KeySpec("bench", KeyKind.ADMIN), "bench")
    made = [Endpoint(f"wh_{secrets.token_hex(8)}", url, "WEB", frozenset({WebhookEventKind.STOCK}), key.key_id,
                     (Secret(SECRET, now),), now) for _ in range(count)]
    for endpoint in made:
        await hooks.endpoints.insert(endpoint)
    return made


async def outbox_only(sims: dict[str, str], url: str, catalog: Catalog, events: int, endpoints: int) -> float:
    server = new_server(IN_MEMORY)
    mongo_url = (await server.start()).uri
    clock = BenchClock()
    try:
        settings = load_settings(environ=settings_env(sims, mongo_url, "bench_webhooks_outbox"))
        async with build_services(settings, clock=clock) as built:
            hooks = built.services.webhooks
            now = clock()
            made = await register(built.services, url, endpoints, now)
            skus = [v.sku for p in catalog.products for v in p.variants]
            await hooks.deliveries.record([Delivery(delivery_id(e.endpoint_id, n), e.endpoint_id, n, skus[n % len(skus)],
                                                    BODY, now, next_at=now) for n in range(1, events + 1) for e in made])
            began, sent = time.perf_counter(), 0
            while sent < events * endpoints:
                clock.advance()
                report = await deliver_due(hooks, clock)
                assert report.sent and report.retried == 0 and report.given_up == 0, report
                sent += report.sent
            return sent / (time.perf_counter() - began)
    finally:
        await server.close()


async def whole_passes(sims: dict[str, str], url: str, catalog: Catalog, events: int, endpoints: int) -> float:
    server = new_server(IN_MEMORY)
    mongo_url = (await server.start()).uri
    clock = BenchClock()
    try:
        settings = load_settings(environ=settings_env(sims, mongo_url, "bench_webhooks_passes"))
        async with build_services(settings, clock=clock) as built:
            hooks = built.services.webhooks
            worker = WebhookWorker(built.services, hooks)
            await worker.run_pass()  # the position: from now on
            await register(built.services, url, endpoints, clock())
            skus = [v.sku for p in catalog.products for v in p.variants][:events]
            await built.services.events.publish([(LiveEventKind.STOCK, sku, None) for sku in skus], clock())
            began, sent = time.perf_counter(), 0
            while sent < len(skus) * endpoints:
                clock.advance()
                report = await worker.run_pass()
                assert report is not None and report.sent.sent and report.sent.retried == 0, report
                sent += report.sent.sent
            return sent / (time.perf_counter() - began)
    finally:
        await server.close()


async def run(args: argparse.Namespace) -> None:
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        url = start_plain(sup, b"")
        catalog = Catalog(args.size)
        rows = []
        for endpoints in (1, args.endpoints):
            count = args.events * endpoints
            rows.append((f"bare signed POSTs, no outbox (baseline), {endpoints} endpoint(s)", count,
                         await bare_posts(url, count)))
            rows.append((f"outbox: claim, POST, settle, {endpoints} endpoint(s)", count,
                         await outbox_only(sims, url, catalog, args.events, endpoints)))
            rows.append((f"worker passes: events → figures → outbox → POST, {endpoints} endpoint(s)", count,
                         await whole_passes(sims, url, catalog, args.events, endpoints)))
    finally:
        sup.stop_all()
    print(f"\nPartner webhook benchmark, {datetime.now(UTC).date()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.events} STOCK events, embedded store in memory\n")
    print("| scenario | deliveries | deliveries/s |")
    print("|---|---:|---:|")
    for name, count, rate in rows:
        print(f"| {name} | {count:,} | {rate:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000, help="products in the simulators' catalog")
    parser.add_argument("--events", type=int, default=100, help="STOCK events (distinct SKUs)")
    parser.add_argument("--endpoints", type=int, default=20, help="endpoints of the larger scenario")
    parser.add_argument("--smoke", action="store_true", help="a quick check that the script works")
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(size=SMOKE_SIZE, events=20, endpoints=3)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
