"""Settings: a TOML file (`commerce-gateway.toml`, or the path in `CGW_CONFIG`) with
environment overrides, validated at start-up. The only module that reads the environment.

An override names its key with `CGW_` and double underscores between sections:
`CGW_BACKENDS__ODOO__API_KEY=...`, `CGW_MONGO__URL=mongodb://...`. Values are read
as TOML literals when they parse as one (`8000`, `true`, `["DC1","DC2"]`), else as text.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from domain.channels import Channel
from domain.roles import Role
from gateway.reminder_settings import ReminderSettings, SmtpSettings, problem
from gateway import marketplace_sync_settings
from gateway.marketplace_sync_settings import MarketplaceSyncSettings
from gateway.subscription_settings import SubscriptionSettings
from gateway.subscription_settings import problem as subscriptions_problem
from gateway.webhook_settings import WebhookSettings
from gateway.webhook_settings import problem as webhook_problem
from resolvers.rules import CONTENT_FIELDS, CONTENT_ROLES

ENV_PREFIX = "CGW_"
DEFAULT_CONFIG = Path("commerce-gateway.toml")


class SettingsError(ValueError):
    """A bad setting; the message names the key and what was wrong."""


DEMO_JWT_SECRET = "demo-secret-replace-me-in-production-0123456789"  # published in the README: never in production


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    graphiql: bool = True  # the in-browser IDE at GET /graphql; off in production
    production: bool = False  # production: no introspection for any key, no GraphiQL
    cors_origins: list[str] = field(default_factory=list)  # browser frontends allowed to call; empty: none
    document_cache_size: int = 1_000
    persisted_documents_per_key: int = 500  # APQ documents a key keeps; past it, its least recently used go
    readiness_cache_seconds: float = 5.0  # /readyz runs its checks at most once per this, however often asked
    compiled_queries: bool = True  # catalog queries run on compiled plans; off: all on graphql-core's executor
    workers: int = 1  # gateway processes on the one port (`serve --workers` overrides)
    # admission control per process (gateway/admission.py; README: Overload)
    max_in_flight: int = 32  # /graphql operations running at once; more wait in the queue
    max_queued: int = 64  # requests waiting for a running slot; beyond: 503 at once
    queue_timeout_seconds: float = 2.0  # the longest a request waits in that queue; then 503
    max_in_flight_per_key: int = 64  # one API key's running and queued requests; beyond: 429
    request_deadline_seconds: float = 10.0  # an admitted request is cancelled (504) past this, backend calls too
    refusal_hold_seconds: float = 0.5  # a 503/429 refusal is answered this late, so a client that ignores
    max_held_refusals: int = 2_048     # Retry-After cannot spin the process; beyond this many held: at once


@dataclass(frozen=True)
class MetricsSettings:
    """Prometheus metrics at `GET /metrics` (README: Operations)."""

    enabled: bool = True
    port: int = 0  # 0: on the gateway's own port; else on this port of `host` only, and not on the gateway's
    host: str = "127.0.0.1"  # where the metrics port listens (with `port` set)
    max_operation_names: int = 100  # distinct operation labels per process; later names count as (other)


@dataclass(frozen=True)
class MongoSettings:
    url: str = ""  # empty: start the embedded store
    database: str = "commerce_gateway"
    embedded_path: str = "var/gateway-store.sqlite"
    timeout_seconds: float = 5.0


# Connections to one backend, per gateway process: all are kept open for reuse (keep-alive); a call
# beyond them waits for one to be free, within its timeout
MAX_CONNECTIONS = 100


@dataclass(frozen=True)
class BackendGuards:
    """What every backend's section has for failing well (adapters/retries.py, adapters/breaker.py;
    README: What the API promises)."""

    retries: int = 2  # an idempotent read is sent again at most this often after a transient failure; 0: never
    breaker_failures: int = 5  # failed requests in a row that open the backend's circuit breaker; 0: no breaker
    breaker_cooldown_seconds: float = 10.0  # an open breaker fails calls fast this long, then lets one probe through
    fan_out_concurrency: int = 4  # requests of one fan-out (pages, chunks, one call per SKU) in flight at once


@dataclass(frozen=True)
class WooCommerceSettings(BackendGuards):
    base_url: str = "http://127.0.0.1:8101"
    consumer_key: str = "ck_demo"
    consumer_secret: str = "cs_demo"
    auth: Literal["basic", "query"] = "basic"
    currency: str = "EUR"  # the shop's currency: fixed coupon amounts are in it
    timeout_seconds: float = 2.0
    max_connections: int = MAX_CONNECTIONS


@dataclass(frozen=True)
class MedusaSettings(BackendGuards):
    base_url: str = "http://127.0.0.1:8102"
    publishable_key: str = "pk_demo"
    region_id: str = "reg_01EUROPE"
    secret_api_key: str = ""  # the Admin API's (customers and their orders); empty: those are not read
    timeout_seconds: float = 2.0
    max_connections: int = MAX_CONNECTIONS


@dataclass(frozen=True)
class OdooSettings(BackendGuards):
    base_url: str = "http://127.0.0.1:8103"
    transport: Literal["json2", "jsonrpc"] = "json2"
    database: str = "demo"
    login: str = "gateway@example.com"  # JSON-RPC only
    api_key: str = "odoo-demo-key"
    brand_field: str = ""  # many2one of product.template naming the brand (OCA product_brand_id); empty: none
    product_sku_field: str = "default_code"  # the product.template field holding a product's SKU
    product_sku_fallback: Literal["variant", "id"] = "variant"  # a template's SKU when that field is empty
    warehouse_cache_seconds: float = 300.0
    marketing_consent_field: str = ""  # a boolean res.partner field holding marketing consent; empty: none
    order_link_field: Literal["client_order_ref", "origin"] = "client_order_ref"  # a copied order's source number
    web_shop_order_prefix: str = "WC-"  # ... written as this prefix and the web-shop's order number
    app_order_prefix: str = "MED-"  # ... or the app backend's
    timeout_seconds: float = 3.0
    max_connections: int = MAX_CONNECTIONS


SELL_INVENTORY_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.inventory"


@dataclass(frozen=True)
class EbaySettings(BackendGuards):
    base_url: str = "http://127.0.0.1:8104"
    # OAuth: with a refresh token, user access tokens are renewed from it (adapters/ebay/oauth.py);
    # without one, `access_token` is sent as it is (it expires after about two hours: tests and demos only)
    access_token: str = field(default="ebay-demo-token", repr=False)
    client_id: str = ""  # the application's OAuth client id (App ID)
    client_secret: str = field(default="", repr=False)  # its client secret (Cert ID)
    refresh_token: str = field(default="", repr=False)  # the seller's, from the consent (authorization code) grant
    scopes: list[str] = field(default_factory=lambda: [SELL_INVENTORY_SCOPE])  # those the refresh token was granted
    marketplace_id: str = "EBAY_DE"
    fan_out_concurrency: int = 8  # as many as `offer_concurrency`: a request's lookups may take every slot
    offer_concurrency: int = 8
    sweep_offer_concurrency: int = 4  # the marketplace sweep's own slots: requests never wait behind it
    timeout_seconds: float = 2.0
    max_connections: int = MAX_CONNECTIONS


@dataclass(frozen=True)
class BackendSettings:
    # what carries the backends' HTTP under httpx's client: aiohttp (about 40% less CPU per call) or
    # httpx's own httpcore
    http_transport: Literal["aiohttp", "httpcore"] = "aiohttp"
    woocommerce: WooCommerceSettings = field(default_factory=WooCommerceSettings)
    medusa: MedusaSettings = field(default_factory=MedusaSettings)
    odoo: OdooSettings = field(default_factory=OdooSettings)
    ebay: EbaySettings = field(default_factory=EbaySettings)


# The `backends.<name>` section configuring each role. Where settings name a role (field ownership),
# the section's name stands for it too: "odoo" is the ERP, as in files written before roles.
BACKEND_ROLES = {"woocommerce": Role.WEB_SHOP, "medusa": Role.APP_BACKEND, "odoo": Role.ERP,
                 "ebay": Role.MARKETPLACE}


def role_named(label: str) -> Role:
    """The role `label` names: a role ("erp") or the backends section configuring one ("odoo"), in any
    letter case; raises ValueError for anything else."""
    name = label.strip().lower()
    return BACKEND_ROLES.get(name) or Role(name)


@dataclass(frozen=True)
class ChannelSettings:
    name: str
    currency: str = "EUR"
    price_source: Literal["erp", "app", "marketplace"] = "erp"
    pricelist_id: int = 0  # an Odoo pricelist whose rules price the channel; 0: none
    stock_source: Literal["erp", "marketplace"] = "erp"
    stock_warehouses: list[str] = field(default_factory=list)  # Odoo warehouse codes; empty: every warehouse


DISTRIBUTION_CENTRES = ["DC1", "DC2", "DC3"]
STORES = ["BER", "HAM", "MUC", "CGN", "FRA"]


def _default_channels() -> dict[str, ChannelSettings]:
    return {
        "WEB": ChannelSettings(name="Web shop", stock_warehouses=DISTRIBUTION_CENTRES),
        "APP": ChannelSettings(name="Mobile app", price_source="app", stock_warehouses=DISTRIBUTION_CENTRES),
        "STORE": ChannelSettings(name="Stores and POS", pricelist_id=2, stock_warehouses=STORES),
        "CALL_CENTER": ChannelSettings(name="Call centre", pricelist_id=3, stock_warehouses=DISTRIBUTION_CENTRES),
        "MARKETPLACE": ChannelSettings(name="Marketplaces", price_source="marketplace", stock_source="marketplace"),
    }


@dataclass(frozen=True)
class CatalogSettings:
    default_channel: str = "WEB"
    pickup_ready_within: str = "PT2H"  # ISO 8601 duration shown as pickUpTime
    pickup_warehouses: list[str] = field(default_factory=lambda: list(STORES))  # empty: all with coordinates
    stock_cache_seconds: float = 10.0  # stock figures are reused this long (with their asOf); 0: always live
    changes_settle_seconds: float = 2.0  # catalogChanges reports changes once they are this old (late commits, clocks)
    changes_max_pages: int = 20  # pages of a backend's change list one catalogChanges read may take
    marketplace_sweep_seconds: float = 300.0  # the marketplace (no change query) is swept this often; 0: never
    recommendations_poll_seconds: float = 10.0  # the ERP's orders are folded into recommendations this often; 0: never
    # content field -> the roles supplying it, first that has a value wins (backends section names accepted)
    ownership: dict[str, list[str]] = field(
        default_factory=lambda: {f: [r.value for r in CONTENT_ROLES] for f in CONTENT_FIELDS})

    def ownership_roles(self) -> dict[str, tuple[Role, ...]]:
        """The ownership orders as roles (validated: every label names a content role)."""
        return {f: tuple(role_named(label) for label in order) for f, order in self.ownership.items()}


@dataclass(frozen=True)
class AuthSettings:
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: str = DEMO_JWT_SECRET  # HS256: at least 32 bytes; refused in production
    jwt_public_key_file: str = ""  # RS256: PEM file of the identity provider's public key
    jwt_issuer: str = ""    # checked against `iss` when set
    jwt_audience: str = ""  # checked against `aud` when set
    key_cache_seconds: float = 5.0  # API keys are re-read after this; revocations take effect within it
    failed_auth_per_minute: int = 60  # unknown keys per client address and process before 429s (a bucket)


@dataclass(frozen=True)
class CartSettings:
    guest_cart_ttl_days: float = 30.0  # an untouched guest cart expires after this
    max_lines: int = 250
    max_quantity: int = 999  # per line
    max_discount_codes: int = 5  # per cart; each is looked up at the web-shop when the cart is priced
    merge_strategy: Literal["MERGE", "KEEP_CUSTOMER", "KEEP_GUEST", "KEEP_GUEST_IF_CUSTOMER_EMPTY"] = "MERGE"


@dataclass(frozen=True)
class ListSettings:
    max_lists: int = 20  # per customer, the default "Saved for later" included
    max_items: int = 250  # per list
    name_max_length: int = 100  # characters
    guest_list_ttl_days: float = 30.0  # an untouched guest list expires after this


@dataclass(frozen=True)
class HoldSettings:
    """Stock held for carts (README: Stock reservations)."""

    checkout_minutes: float = 10.0  # a checkout holds the cart's units this long; 0: no holds at all
    on_add: bool = False  # hold a line's units when it is added or its quantity changed, too
    cart_minutes: float = 15.0  # such a hold lasts this long after the line's last change
    on_add_max_units: int = 10  # the most units of one SKU a cart holds before checkout
    expire_seconds: float = 5.0  # lapsed holds are dropped (and their SKUs announced) this often; 0: on writes only


@dataclass(frozen=True)
class LimitSettings:
    max_depth: int = 12       # nesting of fields (introspection not counted)
    max_aliases: int = 30
    max_tokens: int = 5_000   # lexical tokens of the document
    max_directives: int = 20
    max_body_bytes: int = 100_000  # request body of /graphql
    max_cost: int = 10_000    # static cost of one operation (README: Cost); above it, refused unrun
    budget_lease_fraction: float = 0.1  # share of a key's per-minute budget a process takes at once


@dataclass(frozen=True)
class CacheSettings:
    """`Cache-Control: max-age` of a query over GET, by the freshest kind of data it touched, and the
    shared answer cache, which keeps answers as long (gateway/answer_cache.py)."""

    content_seconds: int = 300  # titles, descriptions, images, stores, channels
    price_seconds: int = 60
    stock_seconds: int = 10     # stock figures and everything that depends on them
    answer_cache_bytes: int = 64 * 1024 * 1024  # shared answers kept per process; 0: none kept, none coalesced
    answer_cache_key_share: float = 0.5  # the most of those bytes the answers first asked by one API key take
    stale_if_error_seconds: int = 300  # an expired answer may stand in this long for one a backend failed; 0: never
    invalidation_poll_seconds: float = 2.0  # the backends' change feeds are read this often; 0: answers expire only


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    mongo: MongoSettings = field(default_factory=MongoSettings)
    backends: BackendSettings = field(default_factory=BackendSettings)
    channels: dict[str, ChannelSettings] = field(default_factory=_default_channels)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    carts: CartSettings = field(default_factory=CartSettings)
    lists: ListSettings = field(default_factory=ListSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    marketplace_sync: MarketplaceSyncSettings = field(default_factory=MarketplaceSyncSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    subscriptions: SubscriptionSettings = field(default_factory=SubscriptionSettings)
    holds: HoldSettings = field(default_factory=HoldSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Reads the file (if there is one), applies overrides, validates; raises SettingsError."""
    environ = dict(os.environ if environ is None else environ)
    explicit = path or environ.get(f"{ENV_PREFIX}CONFIG")
    config_path = Path(explicit) if explicit else DEFAULT_CONFIG
    raw: dict[str, Any] = {}
    if config_path.exists():
        try:
            raw = tomllib.loads(config_path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{config_path}: not valid TOML ({exc})") from None
    elif explicit:
        raise SettingsError(f"config file {config_path} does not exist")
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and name != f"{ENV_PREFIX}CONFIG":
            _set_path(raw, name[len(ENV_PREFIX):].lower().split("__"), _literal(value))
    settings = _build(Settings, _with_channels(raw), "")
    _validate(settings)
    return settings


def _literal(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_path(tree: dict, keys: list[str], value: Any) -> None:
    """Sets `value` at `keys`, making the tables on the way (the environment overrides the file)."""
    for key in keys[:-1]:
        if not isinstance(tree.get(key), dict):
            tree[key] = {}
        tree = tree[key]
    tree[keys[-1]] = value


def _with_channels(raw: dict[str, Any]) -> dict[str, Any]:
    """The channel tables merged in one step, before the settings are built: every default channel's
    keys, then, key by key, those of the table the file and the environment give for it. A table's
    code may be in any letter case (environment names are read in lower case); a channel no table
    names keeps its defaults. What is not a table is left as given, for the building to refuse."""
    given = raw.get("channels", {})
    if not isinstance(given, dict):
        return raw
    channels: dict[str, Any] = {code: asdict(c) for code, c in _default_channels().items()}
    for code, table in given.items():  # the file's tables first, then those the environment added
        base = channels.get(code.upper())
        channels[code.upper()] = {**base, **table} if isinstance(base, dict) and isinstance(table, dict) else table
    return {**raw, "channels": channels}


def _build(cls: Any, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where or 'settings'}: expected a table, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise SettingsError(f"{_key(where, unknown[0])}: unknown setting (known: {', '.join(known)})")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in known.items():
        key = _key(where, name)
        if name in raw:
            values[name] = _coerce(hints[name], raw[name], key)
        elif f.default is MISSING and f.default_factory is MISSING:
            raise SettingsError(f"{key}: required")
    return cls(**values)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if is_dataclass(hint):
        return _build(hint, value, key)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise SettingsError(f"{key}: must be one of {', '.join(map(str, allowed))} (got {value!r})")
        return value
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        if not isinstance(value, dict):
            raise SettingsError(f"{key}: expected a table")
        return {k: _coerce(value_type, v, _key(key, k)) for k, v in value.items()}
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise SettingsError(f"{key}: expected a list")
        return [_coerce(item_type, v, f"{key}[{n}]") for n, v in enumerate(value)]
    if isinstance(hint, types.UnionType):
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise SettingsError(f"{key}: expected {hint.__name__}, got {type(value).__name__} ({value!r})")
    return value


def _key(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _validate_holds(h: HoldSettings) -> None:
    if h.checkout_minutes < 0:
        raise SettingsError("holds.checkout_minutes: must be 0 (no holds) or more")
    if h.on_add and h.checkout_minutes == 0:
        raise SettingsError("holds.on_add: needs holds at checkout (holds.checkout_minutes above 0)")
    if h.cart_minutes <= 0:
        raise SettingsError("holds.cart_minutes: must be above 0")
    if h.on_add_max_units < 1:
        raise SettingsError("holds.on_add_max_units: must be at least 1")
    if h.expire_seconds < 0:
        raise SettingsError("holds.expire_seconds: must be 0 (on writes only) or more")


def _validate(s: Settings) -> None:
    _validate_auth(s.auth)
    if (wrong := problem(s.reminders, s.smtp, {c.upper() for c in s.channels}, s.server.production)) is not None:
        raise SettingsError(wrong)
    if (wrong := marketplace_sync_settings.problem(s.marketplace_sync)) is not None:
        raise SettingsError(wrong)
    if s.marketplace_sync.enabled and s.cache.invalidation_poll_seconds <= 0:
        raise SettingsError("marketplace_sync.enabled: needs cache.invalidation_poll_seconds above 0 (the change feeds' "
                            "poll publishes the events the push follows)")
    if (wrong := subscriptions_problem(s.subscriptions)) is not None:
        raise SettingsError(wrong)
    if (wrong := webhook_problem(s.webhooks)) is not None:
        raise SettingsError(wrong)
    if s.server.production and s.webhooks.allow_private_targets:
        raise SettingsError("webhooks.allow_private_targets: refused with server.production = true (partners could "
                            "make the gateway call its own network)")
    if s.server.production and s.auth.jwt_algorithm == "HS256" and s.auth.jwt_secret == DEMO_JWT_SECRET:
        raise SettingsError("auth.jwt_secret: the demo's published secret is refused with server.production = true; "
                            "set a secret of your own")
    for origin in s.server.cors_origins:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            raise SettingsError(f"server.cors_origins: {origin!r} is not an origin such as https://shop.example.com")
    for name in ("max_depth", "max_aliases", "max_tokens", "max_directives", "max_body_bytes", "max_cost"):
        if getattr(s.limits, name) < 1:
            raise SettingsError(f"limits.{name}: must be at least 1")
    if not 0 < s.limits.budget_lease_fraction <= 1:
        raise SettingsError("limits.budget_lease_fraction: must be within (0, 1]")
    for name in ("content_seconds", "price_seconds", "stock_seconds", "answer_cache_bytes", "stale_if_error_seconds",
                 "invalidation_poll_seconds"):
        if getattr(s.cache, name) < 0:
            raise SettingsError(f"cache.{name}: must be 0 or more")
    if not 0 < s.cache.answer_cache_key_share <= 1:
        raise SettingsError("cache.answer_cache_key_share: must be within (0, 1]")
    if s.catalog.stock_cache_seconds < 0:
        raise SettingsError("catalog.stock_cache_seconds: must be 0 or more")
    if s.catalog.marketplace_sweep_seconds < 0:
        raise SettingsError("catalog.marketplace_sweep_seconds: must be 0 (off) or more")
    if s.catalog.recommendations_poll_seconds < 0:
        raise SettingsError("catalog.recommendations_poll_seconds: must be 0 (off) or more")
    if s.catalog.changes_max_pages < 1:
        raise SettingsError("catalog.changes_max_pages: must be at least 1")
    if s.catalog.changes_settle_seconds < 1:
        raise SettingsError("catalog.changes_settle_seconds: must be 1 or more (backends stamp changes to the second)")
    if s.auth.key_cache_seconds < 0:
        raise SettingsError("auth.key_cache_seconds: must be 0 or more")
    if s.auth.failed_auth_per_minute < 1:
        raise SettingsError("auth.failed_auth_per_minute: must be at least 1")
    if s.carts.guest_cart_ttl_days <= 0:
        raise SettingsError("carts.guest_cart_ttl_days: must be above 0")
    if s.carts.max_lines < 1 or s.carts.max_quantity < 1:
        raise SettingsError("carts.max_lines and carts.max_quantity: must be at least 1")
    for name in ("max_lists", "max_items", "name_max_length"):
        if getattr(s.lists, name) < 1:
            raise SettingsError(f"lists.{name}: must be at least 1")
    if s.lists.guest_list_ttl_days <= 0:
        raise SettingsError("lists.guest_list_ttl_days: must be above 0")
    _validate_holds(s.holds)
    if not 1 <= s.server.port <= 65535:
        raise SettingsError(f"server.port: must be 1..65535 (got {s.server.port})")
    if s.server.persisted_documents_per_key < 1:
        raise SettingsError("server.persisted_documents_per_key: must be at least 1")
    if s.server.readiness_cache_seconds < 0:
        raise SettingsError("server.readiness_cache_seconds: must be 0 or more")
    if s.server.document_cache_size < 1:
        raise SettingsError("server.document_cache_size: must be at least 1")
    for name in ("max_in_flight", "max_in_flight_per_key"):
        if getattr(s.server, name) < 1:
            raise SettingsError(f"server.{name}: must be at least 1")
    if s.server.max_queued < 0:
        raise SettingsError("server.max_queued: must be 0 (no queue) or more")
    if s.server.queue_timeout_seconds <= 0 or s.server.request_deadline_seconds <= 0:
        raise SettingsError("server.queue_timeout_seconds and server.request_deadline_seconds: must be above 0")
    if s.server.workers < 1:
        raise SettingsError(f"server.workers: must be at least 1 (got {s.server.workers})")
    if not 0 <= s.metrics.port <= 65535 or (s.metrics.port and s.metrics.port == s.server.port):
        raise SettingsError(f"metrics.port: 0 (the gateway's port) or another port, 1..65535 (got {s.metrics.port})")
    if s.metrics.max_operation_names < 0:
        raise SettingsError("metrics.max_operation_names: must be 0 or more")
    for name, backend in (("woocommerce", s.backends.woocommerce), ("medusa", s.backends.medusa),
                          ("odoo", s.backends.odoo), ("ebay", s.backends.ebay)):
        if not backend.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"backends.{name}.base_url: must start with http:// or https:// "
                                f"(got {backend.base_url!r})")
        if not 0 < backend.timeout_seconds <= 120:
            raise SettingsError(f"backends.{name}.timeout_seconds: must be within (0, 120]")
        if backend.max_connections < 1:
            raise SettingsError(f"backends.{name}.max_connections: must be at least 1")
        if not 0 <= backend.retries <= 10:
            raise SettingsError(f"backends.{name}.retries: must be within 0..10 (got {backend.retries})")
        if backend.breaker_failures < 0:
            raise SettingsError(f"backends.{name}.breaker_failures: must be 0 (no breaker) or more")
        if backend.breaker_cooldown_seconds <= 0:
            raise SettingsError(f"backends.{name}.breaker_cooldown_seconds: must be above 0")
        if backend.fan_out_concurrency < 1:
            raise SettingsError(f"backends.{name}.fan_out_concurrency: must be at least 1")
    _validate_ebay_oauth(s.backends.ebay)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", s.backends.odoo.product_sku_field):
        raise SettingsError(f"backends.odoo.product_sku_field: the name of a product.template field, such as "
                            f"default_code (got {s.backends.odoo.product_sku_field!r})")
    consent = s.backends.odoo.marketing_consent_field
    if consent and not re.fullmatch(r"[a-z_][a-z0-9_]*", consent):
        raise SettingsError(f"backends.odoo.marketing_consent_field: empty, or the name of a boolean res.partner "
                            f"field such as x_accepts_marketing (got {consent!r})")
    prefixes = (s.backends.odoo.web_shop_order_prefix, s.backends.odoo.app_order_prefix)
    if not all(prefixes) or prefixes[0].startswith(prefixes[1]) or prefixes[1].startswith(prefixes[0]):
        raise SettingsError("backends.odoo.web_shop_order_prefix and app_order_prefix: two non-empty prefixes, "
                            f"neither the start of the other (got {prefixes[0]!r} and {prefixes[1]!r})")
    if s.backends.ebay.offer_concurrency < 1:
        raise SettingsError("backends.ebay.offer_concurrency: must be at least 1")
    if s.backends.ebay.sweep_offer_concurrency < 1:
        raise SettingsError("backends.ebay.sweep_offer_concurrency: must be at least 1")
    for code, channel in s.channels.items():
        try:
            Channel.parse(code)
        except ValueError as exc:
            raise SettingsError(f"channels.{code}: {exc}") from None
        if len(channel.currency) != 3 or not channel.currency.isalpha() or not channel.currency.isupper():
            raise SettingsError(f"channels.{code}.currency: an ISO 4217 code such as EUR (got {channel.currency!r})")
        if channel.pricelist_id < 0:
            raise SettingsError(f"channels.{code}.pricelist_id: 0 (none) or an Odoo pricelist id")
    missing = [c.value for c in Channel if c.value not in s.channels]
    if missing:
        raise SettingsError(f"channels: every channel needs a table; missing {', '.join(missing)}")
    try:
        Channel.parse(s.catalog.default_channel)
    except ValueError as exc:
        raise SettingsError(f"catalog.default_channel: {exc}") from None
    for content_field, order in s.catalog.ownership.items():
        if content_field not in CONTENT_FIELDS:
            raise SettingsError(f"catalog.ownership.{content_field}: unknown field (known: {', '.join(CONTENT_FIELDS)})")
        try:
            roles = [role_named(label) for label in order]
        except ValueError:
            roles = []
        if not roles or any(role not in CONTENT_ROLES for role in roles):
            aliases = [name for name, role in BACKEND_ROLES.items() if role in CONTENT_ROLES]
            raise SettingsError(f"catalog.ownership.{content_field}: a non-empty list of the roles "
                                f"{', '.join(CONTENT_ROLES)} (or their backends' names: {', '.join(aliases)}) "
                                f"(got {order!r})")


def _validate_ebay_oauth(ebay: EbaySettings) -> None:
    if not ebay.refresh_token:
        if not ebay.access_token:
            raise SettingsError("backends.ebay.access_token: required unless backends.ebay.refresh_token is set")
        return
    for name in ("client_id", "client_secret"):
        if not getattr(ebay, name):
            raise SettingsError(f"backends.ebay.{name}: required with backends.ebay.refresh_token (the application's "
                                "OAuth credentials, which renew the access token)")
    if not ebay.scopes or not all(ebay.scopes):
        raise SettingsError(f"backends.ebay.scopes: the OAuth scopes the refresh token was granted, such as "
                            f"[\"{SELL_INVENTORY_SCOPE}\"]")


def _validate_auth(auth: AuthSettings) -> None:
    if auth.jwt_algorithm == "HS256" and len(auth.jwt_secret.encode()) < 32:
        raise SettingsError("auth.jwt_secret: at least 32 bytes for HS256")
    if auth.jwt_algorithm == "RS256":
        if not auth.jwt_public_key_file:
            raise SettingsError("auth.jwt_public_key_file: required for RS256")
        if not Path(auth.jwt_public_key_file).is_file():
            raise SettingsError(f"auth.jwt_public_key_file: {auth.jwt_public_key_file} does not exist")
