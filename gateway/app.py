"""The Starlette app factory. The lifespan builds the process's services (gateway/wiring.py), the
GraphQL view over them and the background work, and closes them all at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from domain.ports import Clock, utc_now
from domain.records import CatalogInvalidation
from gateway.access import Gatekeeper
from gateway.admission import Admission, AdmissionLimits
from gateway.answer_cache import AnswerCache
from gateway.graphiql import ASSET_PATH, graphiql_asset
from gateway.graphql_view import GatewayGraphQL, encode_body
from gateway.health import Readiness, healthz, readyz
from gateway.metrics import Metrics, RequestMetrics
from gateway.middleware import BodySizeLimit, RequestIdMiddleware
from gateway.settings import Settings
from gateway.shared_answers import SharedAnswers
from gateway.unsubscribe import REMINDERS, unsubscribe_route
from gateway.wiring import GatewayServices, build_gateway_schema, build_services, sync_rules
from resolvers.holds import expire_forever
from resolvers.catalog_invalidation import Follower, follow_forever, forget_stock, poll_forever
from resolvers.live_hub import LiveHub
from resolvers.marketplace_sweep import sweep_forever
from resolvers.marketplace_orders import MarketplaceImport, import_forever
from resolvers.marketplace_push import MarketplacePush, SyncEvents, push_forever
from resolvers.recommendation_feed import fold_forever
from resolvers.reminders.worker import ReminderWorker, run_forever
from resolvers.webhooks.worker import WebhookWorker
from resolvers.webhooks.worker import run_forever as run_webhooks_forever

if TYPE_CHECKING:
    import strawberry

log = logging.getLogger(__name__)
CORS_REQUEST_HEADERS = ["Content-Type", "Authorization", "X-Channel", "X-Request-Id", "X-API-Key"]
CORS_EXPOSED_HEADERS = ["X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After", "ETag"]
VIEW = "graphql_view"  # the lifespan state's names: the view /graphql runs, the checks /readyz runs
CHECKS = "readiness_checks"


class LifespanView:
    """/graphql: the GraphQL view the lifespan built with the process's services, handed to every
    request in Starlette's lifespan state."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        view = scope.get("state", {}).get(VIEW)
        if view is None:
            raise RuntimeError("the gateway has not started: its lifespan builds the GraphQL view")
        await view(scope, receive, send)


async def readiness(request: Request) -> Response:
    """/readyz: every backend and MongoDB, as the lifespan opened them."""
    return await readyz(getattr(request.state, CHECKS))


def create_app(settings: Settings, *, metrics_dir: str | None = None, schema: strawberry.Schema | None = None,
               gatekeeper: type[Gatekeeper] = Gatekeeper, clock: Clock = utc_now) -> Starlette:
    """`metrics_dir`: the directory the workers of one `serve --workers N` share their metrics in.
    `schema` (default: the configured one) and `gatekeeper` (the class that admits requests) are for
    a benchmark's baseline (bench/unguarded_gateway.py); `clock`, what the process reads as now
    (Services.clock), for tests that move time instead of waiting for it."""
    if not settings.mongo.url:
        raise ValueError("mongo.url is empty: `commerce-gateway serve` starts the embedded store and sets it")
    metrics = Metrics(max_operation_names=settings.metrics.max_operation_names, multiprocess_dir=metrics_dir) \
        if settings.metrics.enabled else None
    schema = schema or build_gateway_schema(settings)
    graphiql = settings.server.graphiql and not settings.server.production
    lim, c = settings.limits, settings.cache
    shared = SharedAnswers(  # 0 bytes: no shared answers, neither kept nor coalesced
        AnswerCache(c.answer_cache_bytes, owner_share=c.answer_cache_key_share, stale_seconds=c.stale_if_error_seconds,
                    events=metrics),
        c, encode_body, max_tokens=lim.max_tokens, document_cache_size=settings.server.document_cache_size) \
        if c.answer_cache_bytes > 0 else None

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        try:
            async with build_services(settings, record=metrics.record_backend_call if metrics else None,
                                      events=metrics, gatekeeper=gatekeeper, clock=clock) as built:
                production = settings.server.production
                view = GatewayGraphQL(
                    schema, services=built.services, gatekeeper=built.gatekeeper, documents=built.documents,
                    shared=shared, auth=settings.auth, production=production, max_cost=lim.max_cost,
                    cache=settings.cache, graphql_ide="graphiql" if graphiql else None,
                    live=settings.subscriptions, allowed_origins=settings.server.cors_origins)
                if settings.subscriptions.enabled and built.services.events is not None:  # one hub per process
                    built.services.live = LiveHub(built.services, settings.subscriptions.poll_seconds,
                                                  settings.subscriptions.max_skus,
                                                  started=metrics.subscription_started if metrics else None)
                    await built.services.live.start()
                # What start-up built (modules, schema, clients) lives as long as the process: moved out of
                # the collector's reach, it no longer makes full collections slow (p99 of the listing 250 → 110 ms)
                gc.collect()
                gc.freeze()
                streams = getattr(built.services.events, "streams", False)  # how its subscribers learn of events
                log.info("gateway started", extra={"mongo": _redacted(settings.mongo.url),
                                                   "live_events": "change stream" if streams else "polling"})
                work = _background(settings, built, shared) + _marketplace_sync(settings, built, metrics)
                async with _running(work):
                    yield {VIEW: view, REMINDERS: built.services.reminders, "clock": clock,
                           CHECKS: Readiness(built.checks, settings.server.readiness_cache_seconds,
                                             open_breakers=built.wired.open_breakers)}
        finally:
            if metrics is not None:
                metrics.worker_stopping()
            log.info("gateway stopped")

    routes = [
        Route("/graphql", LifespanView(), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", LifespanView()),  # subscriptions (graphql-transport-ws)
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readiness, methods=["GET"]),
        Route("/alerts/unsubscribe", unsubscribe_route, methods=["GET", "POST"]),
    ]
    if graphiql:  # the page's own scripts and styles (gateway/graphiql.py)
        routes.append(Route(ASSET_PATH + "/{name:path}", graphiql_asset, methods=["GET"]))
    middleware = [Middleware(RequestMetrics, metrics=metrics, port=settings.metrics.port or None)] if metrics else []
    middleware.append(Middleware(RequestIdMiddleware))
    if settings.server.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=settings.server.cors_origins,
                                     allow_methods=["GET", "POST"], allow_headers=CORS_REQUEST_HEADERS,
                                     expose_headers=CORS_EXPOSED_HEADERS, max_age=600))
    # admission before the body is read: a refusal is counted, logged with its request id and carries the CORS
    # headers a browser needs to read it, and costs no parsing
    server = settings.server
    middleware.append(Middleware(Admission, events=metrics, limits=AdmissionLimits(
        server.max_in_flight, server.max_queued, server.queue_timeout_seconds, server.max_in_flight_per_key,
        server.request_deadline_seconds, server.refusal_hold_seconds, server.max_held_refusals)))
    middleware.append(Middleware(BodySizeLimit, max_bytes=lim.max_body_bytes))
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)


def _background(settings: Settings, built: GatewayServices,
                shared: SharedAnswers | None) -> list[Coroutine[Any, Any, None]]:
    """The process's background work: the marketplace sweep, the order feed that recommendations
    count, the change feeds that evict shared answers and cached stock, and the reminder worker that
    follows them; the partner webhook worker, which follows the live events the feeds' poll publishes."""
    work = []
    fingerprints = built.services.fingerprints
    if (sweep_every := settings.catalog.marketplace_sweep_seconds) > 0 and fingerprints is not None:
        work.append(sweep_forever(built.wired.backends.marketplace, fingerprints, sweep_every, built.services.clock))
    recommendations = built.services.recommendations
    if (fold_every := settings.catalog.recommendations_poll_seconds) > 0 and recommendations is not None:
        work.append(fold_forever(built.services, recommendations, fold_every))
    poll_every, reminders_every = settings.cache.invalidation_poll_seconds, settings.reminders.every_seconds
    if poll_every > 0 and shared is not None:
        stock_cache = built.services.stock_cache

        def invalidate(change: CatalogInvalidation) -> None:
            shared.cache.invalidate(change)
            forget_stock(stock_cache, change)

        work.append(follow_forever(Follower(built.invalidations, invalidate), poll_every / 4))
    # the reminders, subscriptions and webhooks follow the same log, the marketplace push the events it
    # publishes: it is written when any reads it
    live, webhooks_every = built.services.live, settings.webhooks.every_seconds
    if poll_every > 0 and (shared is not None or reminders_every > 0 or live is not None or webhooks_every > 0
                           or settings.marketplace_sync.enabled):
        work.append(poll_forever(built.services, built.invalidations, poll_every))
    elif poll_every <= 0 and (live is not None or webhooks_every > 0):
        log.warning("cache.invalidation_poll_seconds = 0: subscriptions and partner webhooks hear of cart and hold "
                    "changes only, never of the ERP's stock, price or product changes")
    if (expire_every := settings.holds.expire_seconds) > 0 and (holds := built.services.holds) is not None:
        work.append(expire_forever(holds, expire_every, built.services.clock))
    if reminders_every > 0 and (reminders := built.services.reminders) is not None:
        work.append(run_forever(ReminderWorker(built.services, reminders, built.invalidations, built.services.lists,
                                               reminders_every)))
    if live is not None:
        work.append(live.run_forever())
    if webhooks_every > 0 and (webhooks := built.services.webhooks) is not None:
        work.append(run_webhooks_forever(WebhookWorker(built.services, webhooks)))
    return work


def _marketplace_sync(settings: Settings, built: GatewayServices,
                      events: SyncEvents | None) -> list[Coroutine[Any, Any, None]]:
    """The marketplace push (stock and prices out) and order import (orders in), when enabled."""
    s, store = settings.marketplace_sync, built.services.marketplace_sync
    if not s.enabled or store is None:
        return []
    rules = sync_rules(settings)
    work = [push_forever(MarketplacePush(built.services, store, rules, s.poll_seconds, s.reconcile_every_seconds,
                                         events), s.poll_seconds)]
    if s.orders_poll_seconds > 0:
        work.append(import_forever(MarketplaceImport(built.services, store, rules, s.orders_poll_seconds, events),
                                   s.orders_poll_seconds))
    return work


@contextlib.asynccontextmanager
async def _running(work: list[Coroutine[Any, Any, None]]) -> AsyncIterator[None]:
    """`work` as tasks for the duration, cancelled (and awaited) on the way out."""
    tasks = [asyncio.create_task(w) for w in work]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
