"""Everything one operation's resolvers need: its channel, rules, loaders and backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from domain.api_keys import ApiKey, Scope
from domain.carts import CartRules
from domain.channels import Channel
from domain.holds import HoldRules
from domain.lists import ListRules
from domain.errors import BadUserInput, DomainError, Forbidden
from resolvers.backends import Backends
from resolvers.loaders import Loaders
from domain.ports import (
    ApiKeyStore,
    CartStore,
    Clock,
    EventLog,
    FingerprintStore,
    IdempotencyStore,
    MarketplaceSyncStore,
    Locks,
    RecommendationStore,
    RedemptionLedger,
    SavedListStore,
    StockHolds,
    utc_now,
)
from resolvers.rules import CatalogRules, ChannelRules
from resolvers.stock_cache import StockCache
from resolvers.stores import StoreDirectory

if TYPE_CHECKING:
    from resolvers.live_hub import LiveHub
    from resolvers.reminders.services import ReminderServices
    from resolvers.webhooks.services import WebhookServices


@dataclass(slots=True)
class Services:
    """Long-lived parts shared by every request of one gateway process."""

    backends: Backends
    rules: CatalogRules
    directory: StoreDirectory
    carts: CartStore | None = None  # absent in tests of the catalog alone
    idempotency: IdempotencyStore | None = None
    cart_rules: CartRules = field(default_factory=CartRules)
    keys: ApiKeyStore | None = None
    stock_cache: StockCache | None = None  # None: every stock figure is read live
    fingerprints: FingerprintStore | None = None  # the marketplace's swept change feed; None: not kept
    redemptions: RedemptionLedger | None = None  # discount code uses; None: only the web-shop's counts
    lists: SavedListStore | None = None  # saved lists (wishlists, "Saved for later")
    list_rules: ListRules = field(default_factory=ListRules)
    recommendations: RecommendationStore | None = None  # None: no recommendations (tests of the catalog alone)
    reminders: ReminderServices | None = None  # None: no reminders (the in-app feed and preferences are off)
    events: EventLog | None = None  # the live event log; None: nothing published (tests of the catalog alone)
    holds: StockHolds | None = None  # stock held for carts; None: no holds, available stock is the ERP's
    marketplace_sync: MarketplaceSyncStore | None = None  # the marketplace push's and import's state
    locks: Locks | None = None  # named locks across processes; None: writes are not serialised
    live: LiveHub | None = None  # the process's subscription hub; None: subscriptions are off
    hold_rules: HoldRules = field(default_factory=HoldRules)  # when units are held, and for how long
    webhooks: WebhookServices | None = None  # partner webhooks; None: not offered (tests of the catalog alone)
    # now: what cart writes stamp, delta sync's settle time, the marketplace sweep's stamps and lease
    clock: Clock = utc_now


class CostMeter(Protocol):
    """The caller's cost budget, as the gateway keeps it."""

    async def charge(self, requested: int) -> None:
        """Takes `requested` points from the budget before execution; raises RateLimited."""

    async def settle(self, actual: int) -> None:
        """After execution: the charge becomes `actual` (the difference given back or taken)."""


@dataclass(slots=True)
class RequestContext:
    services: Services
    request_id: str
    channel: Channel
    store_code: str | None = None
    customer_id: str | None = None  # from a verified bearer token; None for a guest
    customer_email: str | None = None  # the token's verified e-mail: what backends' customers are matched by
    loaders: Loaders = field(init=False)
    reported: list[tuple[list[str | int], DomainError]] = field(default_factory=list)
    rejected: DomainError | None = None  # raised before execution, e.g. a bad X-Channel header
    api_key: ApiKey | None = None
    scopes: frozenset[Scope] = frozenset()
    bound_channel: Channel | None = None  # the API key's channel: nothing overrides it
    introspection: bool = True  # off for marketplace keys and in production
    meter: CostMeter | None = None
    cost_requested: int | None = None  # set once the operation's cost is known
    cost_actual: int | None = None
    objects_counted: int | None = None  # objects the execution completed (in the answer or nulled after), if counted
    cacheable: bool = False  # a GET: the answer gets HTTP caching headers from what it touched
    max_stock_age: float | None = None  # @inContext(maxStockAge:); None: the cache's own time to live
    live_stock: bool = False  # mutations: stock is always read live
    touched: frozenset[str] = frozenset()  # content, price, stock, private (schema/caching.py, by the cost walk)
    memo: dict[object, Any] = field(default_factory=dict)  # what resolvers work out once per operation
    operation_type: str | None = None  # query or mutation, once the operation executes (its metrics label)
    operation_name: str | None = None  # its name as the document gives it; None: anonymous
    backend_deadline: float | None = None  # event-loop time by which a query's backend calls end (admission)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.services.backends, self.services.directory, self.services.stock_cache,
                               self.stock_age_limit, self.services.holds, self.services.clock)

    def renew(self) -> None:
        """Forgets what was read so far (loaders, memo, reported errors): a subscription reads each
        event's figures afresh with the same context."""
        self.loaders = Loaders(self.services.backends, self.services.directory, self.services.stock_cache,
                               self.stock_age_limit)
        self.memo.clear()
        self.reported.clear()

    def stock_age_limit(self) -> float:
        """How old a cached stock figure may be for this operation; 0: read live."""
        cache = self.services.stock_cache
        if cache is None or self.live_stock:
            return 0.0
        return cache.ttl_seconds if self.max_stock_age is None else min(cache.ttl_seconds, self.max_stock_age)

    def report(self, path: list[str | int], error: DomainError) -> None:
        """Records an error for a field that still answers (with an empty or false value)."""
        self.reported.append((path, error))

    @property
    def sees_stock(self) -> bool:
        """Whether the caller may learn stock quantities (the `stock:read` scope), in messages too."""
        return Scope.STOCK_READ in self.scopes

    @property
    def cart_store(self) -> CartStore:
        if self.services.carts is None:
            raise RuntimeError("this gateway runs without a cart store")
        return self.services.carts

    @property
    def list_store(self) -> SavedListStore:
        if self.services.lists is None:
            raise RuntimeError("this gateway runs without a saved-list store")
        return self.services.lists

    @property
    def idempotency_store(self) -> IdempotencyStore:
        if self.services.idempotency is None:
            raise RuntimeError("this gateway runs without an idempotency store")
        return self.services.idempotency

    @property
    def key_store(self) -> ApiKeyStore:
        if self.services.keys is None:
            raise RuntimeError("this gateway runs without a key store")
        return self.services.keys

    @property
    def actor(self) -> str:
        """Who is acting, for the record of key management."""
        key = self.api_key
        return f"api-key {key.key_id} ({key.name})" if key else "anonymous"

    @property
    def rules(self) -> ChannelRules:
        return self.services.rules.for_channel(self.channel)

    @property
    def catalog_rules(self) -> CatalogRules:
        return self.services.rules

    def bind(self, channel: Channel) -> None:
        if self.bound_channel is not None and channel is not self.bound_channel:
            raise Forbidden(f"this API key is bound to channel {self.bound_channel.value}; "
                            f"it cannot ask for {channel.value}")
        self.channel = channel

    def select(self, channel: Channel | None, currency: str | None, store: str | None) -> None:
        """Applies `@inContext`; a channel bound to the caller's API key cannot be changed."""
        if channel is not None:
            self.bind(channel)
        if currency is not None and currency.upper() != self.rules.currency:
            raise BadUserInput(f"channel {self.channel} prices in {self.rules.currency}; "
                               f"currency {currency.upper()} is not offered")
        if store is not None:
            self.store_code = store

