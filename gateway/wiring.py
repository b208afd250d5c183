"""The composition root: builds everything a gateway process uses from its settings, and is the
only module that knows every concrete adapter. The app's lifespan, every CLI command on the store,
the demo and the benchmarks build their services here (`build_services`), and their schema
(`build_gateway_schema`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import httpx

from adapters import ebay, medusa, woocommerce
from adapters.breaker import BreakerEvents, CircuitBreaker
from adapters.ebay import EbayAdapter
from adapters.ebay.oauth import TOKEN_PATH, RefreshedToken, StaticToken
from adapters.http import BackendHttp, CallRecorder, DescribeError, new_client
from adapters.medusa import MedusaAdapter
from adapters.mongo import client as mongo
from adapters.mongo.api_keys import MongoApiKeyStore
from adapters.mongo.budgets import MongoBudgetStore
from adapters.mongo.carts import MongoCartStore
from adapters.mongo.documents import MongoDocumentStore
from adapters.mongo.events import MongoEventLog
from adapters.mongo.fingerprints import MongoFingerprintStore
from adapters.mongo.holds import MongoStockHolds
from adapters.mongo.idempotency import MongoIdempotencyStore
from adapters.mongo.invalidations import MongoInvalidationLog
from adapters.mongo.lists import MongoSavedListStore
from adapters.mongo.marketplace_sync import MongoMarketplaceSync
from adapters.mongo.locks import MongoLocks
from adapters.mongo.recommendations import MongoRecommendationStore
from adapters.mongo.outbox import MongoOutbox
from adapters.mongo.reminders import MongoReminderState
from adapters.mail import SmtpMailer, SmtpServer
from adapters.webhooks import PartnerPoster, WebhookSender
from adapters.mongo.webhook_deliveries import MongoWebhookDeliveries
from adapters.mongo.webhook_endpoints import MongoWebhookEndpoints, MongoWebhookWorkerState
from domain.webhooks import WebhookRules
from resolvers.webhooks.services import WebhookServices
from adapters.mongo.redemptions import MongoRedemptionLedger
from adapters.odoo import Json2Transport, JsonRpcTransport, OdooAdapter
from adapters.odoo.identity import ProductIdentity
from adapters.odoo.transports import describe_json2_error
from adapters.retries import RetryEvents, RetryPolicy
from adapters.woocommerce import WooCommerceAdapter
from domain.carts import CartRules, MergeStrategy
from domain.channels import Channel
from domain.holds import HoldRules
from domain.lists import ListRules
from domain.marketplace_sync import SyncRules
from domain.ports import Clock, utc_now
from domain.reminders import AlertRules
from gateway.access import CachedKeyStore, Gatekeeper
from gateway.budgets import SharedBudgets
from gateway.health import Check
from gateway.persisted import PersistedDocuments
from gateway.settings import EbaySettings, MedusaSettings, OdooSettings, Settings, WooCommerceSettings
from resolvers.backends import Backends
from resolvers.context import Services
from resolvers.live_events import RETENTION as EVENTS_KEPT
from resolvers.reminders.services import ReminderServices
from resolvers.rules import (
    CONTENT_FIELDS,
    CONTENT_ROLES,
    CatalogRules,
    ChannelRules,
    PriceSource,
    StockSource,
)
from resolvers.stock_cache import StockCache
from resolvers.stores import StoreDirectory
from schema.protection import QueryLimits

if TYPE_CHECKING:
    import strawberry
    from pymongo import AsyncMongoClient


@dataclass(slots=True)
class Wired:
    backends: Backends
    clients: list[httpx.AsyncClient]
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)  # by backend name

    def open_breakers(self) -> tuple[str, ...]:
        """The backends whose calls fail fast now (their breaker open)."""
        return tuple(name for name, breaker in self.breakers.items() if breaker.is_open)

    async def aclose(self) -> None:
        """Closes every client, even when one of them fails to close."""
        failures = [r for r in await asyncio.gather(*(c.aclose() for c in self.clients), return_exceptions=True)
                    if isinstance(r, BaseException)]
        if failures:
            raise failures[0]


BackendSection = WooCommerceSettings | MedusaSettings | OdooSettings | EbaySettings


class ResilienceEvents(RetryEvents, BreakerEvents, Protocol):
    """What the backends' retries and breakers report (gateway/metrics.py's Metrics)."""


def ebay_token(ebay_settings: EbaySettings, clock: Clock) -> httpx.Auth:
    """The OAuth token the eBay client sends: renewed from the refresh token when one is set (on `clock`)."""
    if not ebay_settings.refresh_token:
        return StaticToken(ebay_settings.access_token)
    return RefreshedToken(ebay_settings.base_url.rstrip("/") + TOKEN_PATH, client_id=ebay_settings.client_id,
                          client_secret=ebay_settings.client_secret, refresh_token=ebay_settings.refresh_token,
                          scopes=ebay_settings.scopes, clock=clock)


def wire_backends(settings: Settings, record: CallRecorder | None = None, clock: Clock = utc_now,
                  events: ResilienceEvents | None = None) -> Wired:
    """The four adapters; `record` (the metrics) hears of every backend request, `events` of every
    retry and breaker change; `clock` is what the adapters read as now (when the marketplace's access
    token is due, which pricelist rules are dated now, when an open circuit breaker lets a probe through)."""
    b = settings.backends
    clients: list[httpx.AsyncClient] = []
    breakers: dict[str, CircuitBreaker] = {}

    def http(name: str, section: BackendSection, describe: DescribeError, client: httpx.AsyncClient) -> BackendHttp:
        clients.append(client)
        if section.breaker_failures:
            breakers[name] = CircuitBreaker(name, failures=section.breaker_failures,
                                            cooldown_seconds=section.breaker_cooldown_seconds,
                                            clock=lambda: clock().timestamp(), events=events)
        return BackendHttp(name, client, section.timeout_seconds, describe, record,
                           retry=RetryPolicy(section.retries) if section.retries else None,
                           breaker=breakers.get(name), retry_events=events,
                           fan_out_limit=section.fan_out_concurrency)

    woo_auth = httpx.BasicAuth(b.woocommerce.consumer_key, b.woocommerce.consumer_secret) \
        if b.woocommerce.auth == "basic" else None
    carrier = b.http_transport
    woo_client = new_client(b.woocommerce.base_url, auth=woo_auth, max_connections=b.woocommerce.max_connections,
                            transport=carrier)
    medusa_client = new_client(b.medusa.base_url, headers={"x-publishable-api-key": b.medusa.publishable_key},
                               max_connections=b.medusa.max_connections, transport=carrier)
    odoo_client = new_client(b.odoo.base_url, max_connections=b.odoo.max_connections, transport=carrier)
    ebay_client = new_client(b.ebay.base_url, auth=ebay_token(b.ebay, clock), max_connections=b.ebay.max_connections,
                             transport=carrier)

    woo = WooCommerceAdapter(
        http(WooCommerceAdapter.name, b.woocommerce, woocommerce.adapter.describe_error, woo_client),
        query_auth=(b.woocommerce.consumer_key, b.woocommerce.consumer_secret) if b.woocommerce.auth == "query"
        else None, change_pages=settings.catalog.changes_max_pages)
    app = MedusaAdapter(http(MedusaAdapter.name, b.medusa, medusa.adapter.describe_error, medusa_client),
                        region_id=b.medusa.region_id, change_pages=settings.catalog.changes_max_pages,
                        secret_api_key=b.medusa.secret_api_key)
    odoo_http = http(OdooAdapter.name, b.odoo, describe_json2_error, odoo_client)
    transport = (Json2Transport(odoo_http, api_key=b.odoo.api_key, database=b.odoo.database)
                 if b.odoo.transport == "json2"
                 else JsonRpcTransport(odoo_http, database=b.odoo.database, login=b.odoo.login,
                                       api_key=b.odoo.api_key))
    erp = OdooAdapter(transport, brand_field=b.odoo.brand_field, clock=clock,
                      identity=ProductIdentity(b.odoo.product_sku_field, b.odoo.product_sku_fallback),
                      consent_field=b.odoo.marketing_consent_field, link_field=b.odoo.order_link_field,
                      order_links={"WEB": b.odoo.web_shop_order_prefix, "APP": b.odoo.app_order_prefix})
    marketplace = EbayAdapter(http(EbayAdapter.name, b.ebay, ebay.adapter.describe_error, ebay_client),
                              marketplace_id=b.ebay.marketplace_id,
                              offer_concurrency=b.ebay.offer_concurrency,
                              sweep_offer_concurrency=b.ebay.sweep_offer_concurrency)
    return Wired(Backends(erp=erp, content=woo, app=app, marketplace=marketplace), clients, breakers)


def catalog_rules(settings: Settings) -> CatalogRules:
    channels = {
        Channel.parse(code): ChannelRules(
            channel=Channel.parse(code), name=c.name, currency=c.currency,
            price_source=PriceSource(c.price_source), pricelist_id=c.pricelist_id or None,
            stock_source=StockSource(c.stock_source), stock_warehouses=tuple(c.stock_warehouses))
        for code, c in settings.channels.items()
    }
    return CatalogRules(
        channels=channels,
        ownership={**dict.fromkeys(CONTENT_FIELDS, CONTENT_ROLES), **settings.catalog.ownership_roles()},
        pickup_ready_within=settings.catalog.pickup_ready_within,
        pickup_warehouses=tuple(settings.catalog.pickup_warehouses),
        default_channel=Channel.parse(settings.catalog.default_channel),
        changes_settle_seconds=settings.catalog.changes_settle_seconds,
    )


def cart_rules(settings: Settings) -> CartRules:
    c, b = settings.carts, settings.backends
    # a checkout makes about four rounds of backend calls (reads with their retries): a claim outlives them, or a
    # live one is taken over
    slowest = max(section.timeout_seconds * (section.retries + 1) for section in (b.woocommerce, b.medusa, b.odoo,
                                                                                   b.ebay))
    return CartRules(max_lines=c.max_lines, max_quantity=c.max_quantity, guest_cart_ttl_days=c.guest_cart_ttl_days,
                     merge_strategy=MergeStrategy(c.merge_strategy), max_discount_codes=c.max_discount_codes,
                     shop_currency=b.woocommerce.currency, claim_seconds=max(CartRules().claim_seconds, 5 * slowest))


def hold_rules(settings: Settings) -> HoldRules:
    h, odoo = settings.holds, settings.backends.odoo
    # a consumed hold outlives every ERP figure read before its order: those cached, and reads under way then
    lingering = settings.catalog.stock_cache_seconds + odoo.timeout_seconds * (odoo.retries + 1) + 1
    return HoldRules(checkout_minutes=h.checkout_minutes, on_add=h.on_add, cart_minutes=h.cart_minutes,
                     on_add_max_units=min(h.on_add_max_units, settings.carts.max_quantity), consumed_seconds=lingering)


def list_rules(settings: Settings) -> ListRules:
    s = settings.lists
    return ListRules(max_lists=s.max_lists, max_items=s.max_items, name_max_length=s.name_max_length,
                     guest_list_ttl_days=s.guest_list_ttl_days, claim_seconds=cart_rules(settings).claim_seconds)


def sync_rules(settings: Settings) -> SyncRules:
    s = settings.marketplace_sync
    return SyncRules(buffer=s.buffer, retry_base=timedelta(seconds=s.retry_base_seconds),
                     retry_max=timedelta(seconds=s.retry_max_seconds),
                     order_overlap=timedelta(seconds=s.order_overlap_seconds),
                     order_warehouse=s.order_warehouse or None, erp_partner_id=s.erp_partner_id or None,
                     first_import_lookback=timedelta(hours=s.first_import_lookback_hours))


def reminder_services(settings: Settings, client: AsyncMongoClient, database: str,
                      opened: contextlib.AsyncExitStack) -> ReminderServices:
    """The reminders' stores, rules and senders: e-mail when a mail server is set, a webhook when its URL is."""
    r, smtp = settings.reminders, settings.smtp
    rules = AlertRules(low_stock_units=r.low_stock_units, price_drop_min_percent=Decimal(str(r.price_drop_min_percent)),
                       cart_after=timedelta(hours=r.cart_reminder_hours), daily_cap=r.daily_cap,
                       max_attempts=r.max_attempts, retry_base=timedelta(seconds=r.retry_base_seconds),
                       retry_max=timedelta(seconds=r.retry_max_seconds))
    mail = SmtpMailer(SmtpServer(smtp.host, smtp.port, smtp.from_address, smtp.tls, smtp.username, smtp.password,
                                 smtp.timeout_seconds)) if smtp.host else None
    webhook = None
    if r.webhook_url:
        webhook_client = httpx.AsyncClient(follow_redirects=False)
        opened.push_async_callback(webhook_client.aclose)
        webhook = WebhookSender(webhook_client, r.webhook_url, r.webhook_secret, r.webhook_timeout_seconds)
    links = {channel.upper(): template for channel, template in r.links.items()}
    return ReminderServices(MongoReminderState(client, database), MongoOutbox(client, database), rules, links,
                            default_link=links["WEB"], unsubscribe_secret=r.unsubscribe_secret,
                            public_url=r.public_url, mail=mail, webhook=webhook)


def webhook_services(settings: Settings, client: AsyncMongoClient, database: str,
                     opened: contextlib.AsyncExitStack) -> WebhookServices:
    """Partner webhooks: their stores, rules and sender (a client of its own that follows no redirect)."""
    w = settings.webhooks
    rules = WebhookRules(max_attempts=w.max_attempts, backoff_base=timedelta(seconds=w.backoff_base_seconds),
                         backoff_max=timedelta(seconds=w.backoff_max_seconds), disable_after=w.disable_after,
                         secret_grace=timedelta(seconds=w.secret_grace_seconds),
                         max_endpoints_per_key=w.max_endpoints_per_key, allow_http=w.allow_http,
                         allow_private_targets=w.allow_private_targets)
    poster_client = httpx.AsyncClient(follow_redirects=False, timeout=w.timeout_seconds, trust_env=False,
                                      limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
    opened.push_async_callback(poster_client.aclose)
    return WebhookServices(MongoWebhookEndpoints(client, database), MongoWebhookDeliveries(client, database),
                           MongoWebhookWorkerState(client, database),
                           PartnerPoster(poster_client, w.timeout_seconds, w.allow_private_targets), rules,
                           every_seconds=w.every_seconds)


def build_gateway_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the configured query limits, document cache and executor."""
    from schema.schema import build_schema  # not imported by the commands that need no schema (keys)

    lim = settings.limits
    return build_schema(settings.server.document_cache_size,
                        QueryLimits(max_depth=lim.max_depth, max_aliases=lim.max_aliases, max_tokens=lim.max_tokens,
                                    max_directives=lim.max_directives, max_cost=lim.max_cost),
                        compiled=settings.server.compiled_queries)


@dataclass(slots=True)
class GatewayServices:
    """What `build_services` opened: the services requests resolve with, the gatekeeper, the
    stores the commands work on, and the clients behind them (closed by `build_services`)."""

    settings: Settings
    services: Services
    gatekeeper: Gatekeeper
    documents: PersistedDocuments
    document_store: MongoDocumentStore
    invalidations: MongoInvalidationLog
    wired: Wired
    mongo: AsyncMongoClient

    @property
    def keys(self) -> CachedKeyStore:
        """The API keys, as the gatekeeper reads them (a change made here takes effect at once)."""
        return self.gatekeeper.keys

    @property
    def checks(self) -> dict[str, Check]:
        """What /readyz asks: every backend and MongoDB."""
        checks: dict[str, Check] = {b.name: b.ping for b in self.wired.backends.all()}
        checks["mongodb"] = lambda: mongo.ping(self.mongo)
        return checks


@contextlib.asynccontextmanager
async def build_services(settings: Settings, *, record: CallRecorder | None = None,
                         events: ResilienceEvents | None = None, gatekeeper: type[Gatekeeper] = Gatekeeper,
                         clock: Clock = utc_now) -> AsyncIterator[GatewayServices]:
    """Opens the backend clients and adapters, MongoDB and its stores (prepared: indexes made),
    the gatekeeper and the caches of one gateway process, and closes them all on the way out.

    With `mongo.url` empty the embedded store's file (`mongo.embedded_path`) is served in this
    process for the duration: a command from the shell needs no running gateway. (`serve` starts
    the embedded store as a process of its own, which its workers share, and sets the URL.)
    `record` and `events` (the metrics) hear of every backend call, retry and breaker change;
    `gatekeeper` is the class that admits requests (a benchmark's baseline passes one that admits
    everyone); `clock` is what the process reads as now (tests pass one they move), the backends'
    circuit breakers too."""
    async with contextlib.AsyncExitStack() as opened:
        url = settings.mongo.url
        if not url:
            from adapters.mongo.embedded import new_server  # mongoeco: only where the store is served here

            server = new_server(settings.mongo.embedded_path)
            url = (await server.start()).uri
            opened.push_async_callback(server.close)
        client = mongo.open_client(url, timeout_seconds=settings.mongo.timeout_seconds)
        opened.push_async_callback(client.close)
        wired = wire_backends(settings, record, clock, events)
        opened.push_async_callback(wired.aclose)
        database = settings.mongo.database
        live_events, locks = MongoEventLog(client, database, keep=EVENTS_KEPT), MongoLocks(client, database)
        opened.push_async_callback(live_events.close)  # its change stream, when it streams
        carts, idempotency = MongoCartStore(client, database, live_events), MongoIdempotencyStore(client, database, clock)
        keys, budgets = MongoApiKeyStore(client, database), MongoBudgetStore(client, database)
        documents, fingerprints = MongoDocumentStore(client, database), MongoFingerprintStore(client, database)
        invalidations, lists = MongoInvalidationLog(client, database), MongoSavedListStore(client, database)
        redemptions = MongoRedemptionLedger(client, database, stale_seconds=cart_rules(settings).claim_seconds,
                                            clock=clock)
        recommendations = MongoRecommendationStore(client, database, clock)
        holds = MongoStockHolds(client, database, live_events, counted=getattr(events, "stock_holds", None)) \
            if settings.holds.checkout_minutes > 0 else None
        reminders = reminder_services(settings, client, database, opened)
        marketplace_sync = MongoMarketplaceSync(client, database)
        webhooks = webhook_services(settings, client, database, opened)
        webhooks.counted = getattr(events, "webhook_deliveries", None)
        await webhooks.endpoints.prepare()
        await webhooks.deliveries.prepare()
        for store in (carts, idempotency, keys, budgets, documents, fingerprints, invalidations, redemptions,
                      lists, recommendations, reminders.state, reminders.outbox, live_events, locks):
            await store.prepare()
        await marketplace_sync.prepare()
        if holds is not None:
            await holds.prepare()
        budget_clock = lambda: clock().timestamp()  # noqa: E731 - the buckets refill by the gateway's clock
        keeper = gatekeeper(keys, SharedBudgets(budgets, lease_fraction=settings.limits.budget_lease_fraction,
                                                clock=budget_clock),
                            key_cache_seconds=settings.auth.key_cache_seconds,
                            failed_auth_per_minute=settings.auth.failed_auth_per_minute)
        opened.push_async_callback(keeper.close)  # first: its last writes of key use still find the store open
        rules = catalog_rules(settings)
        stock_seconds = settings.catalog.stock_cache_seconds
        services = Services(
            backends=wired.backends, rules=rules, carts=carts, idempotency=idempotency, keys=keeper.keys,
            directory=StoreDirectory(wired.backends.erp, pickup_codes=rules.pickup_warehouses,
                                     ttl_seconds=settings.backends.odoo.warehouse_cache_seconds),
            stock_cache=StockCache(stock_seconds) if stock_seconds > 0 else None, fingerprints=fingerprints,
            cart_rules=cart_rules(settings), clock=clock, redemptions=redemptions, lists=lists,
            list_rules=list_rules(settings), recommendations=recommendations, reminders=reminders, events=live_events,
            locks=locks, holds=holds, hold_rules=hold_rules(settings))
        services.marketplace_sync = marketplace_sync
        services.webhooks = webhooks
        yield GatewayServices(settings=settings, services=services, gatekeeper=keeper,
                              documents=PersistedDocuments(documents, list_ttl=settings.auth.key_cache_seconds,
                                                           per_key=settings.server.persisted_documents_per_key),
                              document_store=documents, invalidations=invalidations, wired=wired, mongo=client)
