"""What the resolvers need from the outside world. Adapters implement these; tests fake them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from domain.api_keys import ApiKey, BucketState, KeyEvent
from domain.carts import Cart, CartOutcome, IdempotencyClaim, IdempotencyRecord
from domain.customers import ContactChanges, CustomerRecord, HistoryOrder, OrderWindow
from domain.discounts import Claim, StaleUse, Usage
from domain.errors import RecordError
from domain.holds import Hold, HoldRequest
from domain.lists import ListOutcome, SavedList, Watch
from domain.marketplace_sync import OfferSync, OrderImport, SyncSummary
from domain.recommendations import BoughtWith, OrderEvent
from domain.reminders import Alert, AlertPreferences, Attempt, Delivery, OutboxMessage, ReminderCursor, WatchState
from domain.records import (
    AppVariant,
    CatalogInvalidation,
    ChangeMark,
    ContentRecord,
    Coupon,
    ErpOrder,
    ErpProduct,
    ErpVariant,
    LiveEvent,
    LiveEventKind,
    LoggedInvalidation,
    MarketplaceItem,
    MarketplaceOffer,
    MarketplaceOrder,
    OrderDraft,
    PriceListEntry,
    PriceQuantityUpdate,
    PriceQuantityUpdated,
    ProductPage,
    ProductQuery,
    RecordChange,
    StockQuant,
    VariantOption,
    Warehouse,
)


class Clock(Protocol):
    """The current time, timezone-aware. The gateway runs on `utc_now`; tests pass a clock they move."""

    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class Backend(Protocol):
    name: str

    async def ping(self) -> None:
        """Returns when the backend answers an authenticated request; raises BackendError otherwise."""


# Change feeds: the records changed after `after` (None: from the beginning) and at or before
# `until`, oldest first (ties by key), at most `limit`; from the backend's own change query.


class ErpBackend(Backend, Protocol):
    async def search_products(self, query: ProductQuery) -> ProductPage: ...
    async def count_products(self, query: ProductQuery) -> int: ...
    async def products_by_sku(self, skus: Sequence[str]) -> list[ErpProduct]: ...
    async def products_by_id(self, ids: Sequence[int]) -> list[ErpProduct]: ...
    async def variants_by_gtin(self, gtins: Sequence[str]) -> list[ErpVariant]: ...
    async def variants_by_sku(self, skus: Sequence[str]) -> list[ErpVariant]: ...
    async def variants_of(self, product_ids: Sequence[int]) -> list[ErpVariant]: ...
    async def variant_options(self, value_ids: Sequence[int]) -> list[VariantOption]: ...
    async def price_list_entries(self, pricelist_id: int, variant_ids: Sequence[int]) -> list[PriceListEntry]: ...
    async def stock_quants(self, variant_ids: Sequence[int], location_ids: Sequence[int]) -> list[StockQuant]: ...
    async def warehouses(self) -> list[Warehouse]: ...

    async def product_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        """Product templates, archived ones included (as removed)."""

    async def variant_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]: ...

    async def price_list_changes(self, pricelist_id: int, after: ChangeMark | None, until: datetime,
                                 limit: int) -> list[RecordChange]: ...

    async def stock_changes(self, location_ids: Sequence[int], after: ChangeMark | None, until: datetime,
                            limit: int) -> list[RecordChange]: ...

    async def order_by_reference(self, reference: str) -> ErpOrder | None:
        """The order created for `reference` (a cart id), if there is one."""

    async def create_order(self, draft: OrderDraft) -> ErpOrder:
        """Creates one sale order (and the customer's contact when new)."""

    async def confirm_order(self, order: ErpOrder) -> ErpOrder:
        """Confirms an order left unconfirmed (its creation was cut short); a confirmed one as it is."""

    async def orders_of_customer(self, customer_id: str, limit: int) -> list[ErpOrder]:
        """Newest first."""

    async def order_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[OrderEvent]:
        """Sales orders of every channel and state, as written (a change feed), with their products."""

    @property
    def keeps_marketing_consent(self) -> bool:
        """Whether the contact holds marketing consent (read and written)."""

    async def contact_of(self, customer_id: str, email: str | None) -> CustomerRecord | None:
        """The customer's contact: by the customer id, else (a verified `email` given) a contact with
        that e-mail that belongs to no other customer."""

    async def write_contact(self, customer_id: str, email: str | None, changes: ContactChanges) -> None:
        """Writes to the customer's contact, made now (with the customer id) when there is none."""

    async def order_history(self, customer_id: str, window: OrderWindow, hide: Collection[str]) -> list[HistoryOrder]:
        """The customer's orders in the window, newest first, but the copies of orders taken in the
        `hide` channels (whose own systems are read for the history)."""


class CustomerSource(Protocol):
    """A backend with customers of its own and their orders (the web-shop, the app backend)."""

    async def customer_by_email(self, email: str) -> CustomerRecord | None:
        """The customer with exactly this (verified) e-mail, in any letter case."""

    async def order_history(self, customer_key: str, window: OrderWindow) -> list[HistoryOrder]:
        """The orders of the customer with this key (the backend's id), in the window, newest first."""


class ContentBackend(Backend, CustomerSource, Protocol):
    async def content_by_sku(self, skus: Sequence[str]) -> list[ContentRecord]: ...

    async def coupons_by_code(self, codes: Sequence[str]) -> list[Coupon]:
        """The coupons that exist among `codes` (matched case-insensitively, as the web-shop does)."""

    async def content_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]: ...


class AppBackend(Backend, CustomerSource, Protocol):
    async def variants_by_sku(self, skus: Sequence[str]) -> list[AppVariant]: ...

    async def content_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]: ...


class MarketplaceBackend(Backend, Protocol):
    """Its lists hold a `RecordError` (keyed by SKU) in place of a record the marketplace could not
    supply, so one bad record costs its own SKU, never the batch."""

    async def inventory_by_sku(self, skus: Sequence[str]) -> list[MarketplaceItem | RecordError]: ...

    async def all_inventory(self) -> list[MarketplaceItem | RecordError]:
        """Every item of the account: the marketplace has no change query, so a sweep reads them all."""

    async def offers_by_sku(self, skus: Sequence[str], *, sweep: bool = False) -> list[MarketplaceOffer | RecordError]:
        """The offer that prices each of `skus` (none for a SKU without one); `sweep`: for the background
        sweep, which must not hold up requests."""

    async def update_price_quantity(self, updates: Sequence[PriceQuantityUpdate]
                                    ) -> list[PriceQuantityUpdated | RecordError]:
        """Sets each offer's quantity and price: one result per update, a `RecordError` for a SKU the
        marketplace refused while the others stand."""

    async def orders_modified(self, since: datetime, until: datetime | None, limit: int) -> list[MarketplaceOrder]:
        """Every order last modified within [since, until] (None: up to the marketplace's now), read `limit`
        a page."""


class FingerprintStore(Protocol):
    """What the gateway last saw of a backend without a change query, per key, and when it changed."""

    async def prepare(self) -> None: ...

    async def claim_sweep(self, feed: str, now: datetime, every: timedelta) -> bool:
        """True for the one process that may sweep `feed` now: none has within `every`."""

    async def record(self, feed: str, seen: dict[str, str], at: datetime) -> int:
        """Keeps a complete sweep (key -> fingerprint); keys new, different or gone since the last get
        changed at `at`. Returns how many did."""

    async def changes(self, feed: str, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        """The keys changed after `after`, at or before `until`, oldest first (ties by key)."""


class InvalidationLog(Protocol):
    """Catalog changes seen in the backends' change feeds, for every gateway process: one process at
    a time reads the feeds (under a lease) and publishes what changed; every process follows."""

    async def prepare(self) -> None: ...

    async def claim_poll(self, now: datetime, every: timedelta) -> bool:
        """True for the one process that may read the feeds now: none has within `every`."""

    async def cursor(self) -> str | None:
        """Where the last read of the feeds ended (a delta-sync cursor); None before the first."""

    async def publish(self, change: CatalogInvalidation | None, cursor: str, at: datetime) -> None:
        """Appends `change` (when there is one), published at `at`, and keeps `cursor` for the next read."""

    async def since(self, after: datetime, seen: Collection[str]) -> list[LoggedInvalidation]:
        """The changes published after `after`, but those in `seen` (ids), oldest first."""

    async def prune(self, before: datetime) -> None:
        """Forgets the changes published before `before`."""


class EventLog(Protocol):
    """Live events for every gateway process, numbered in the order they were published: a reader
    resumes after the last id it took. Any process publishes (cart writes, stock holds, the change
    feeds' poll). Numbers are handed out before the insert lands, so a reader may briefly see a gap
    (resolvers/live_events.py waits for it). Events older than the retention are pruned."""

    async def prepare(self) -> None: ...

    async def publish(self, events: Sequence[tuple[LiveEventKind, str, int | None]], at: datetime) -> list[int]:
        """Appends `(kind, key, version)` events, published at `at`; their ids, in order."""

    async def after(self, event_id: int, limit: int) -> list[LiveEvent]:
        """Events with an id above `event_id`, lowest first, at most `limit`."""

    async def last_id(self) -> int:
        """The highest id handed out so far (0 before the first event)."""

    async def wait_for_more(self, timeout: float) -> None:
        """Returns when an event may have been published since the last call, or after `timeout`
        seconds: at once on a deployment that streams its changes (a replica set), otherwise when the
        time is up (the caller polls)."""

    async def oldest_id(self) -> int | None:
        """The lowest id still kept; None when the log is empty."""

    async def prune(self, before: datetime) -> None:
        """Forgets the events published before `before`."""


class Locks(Protocol):
    """Short locks across gateway processes, by name: for a write a backend cannot make unique itself
    (the ERP has no unique customer reference on its contacts)."""

    async def prepare(self) -> None: ...

    async def acquire(self, name: str, now: datetime, hold: timedelta) -> str | None:
        """A token when the caller now holds `name`, until it releases it or `now + hold` at the latest
        (its process may die); None while another holds it."""

    async def release(self, name: str, token: str) -> None:
        """Ends the hold `token` names (a hold that expired and was taken since is left alone)."""


class StockHolds(Protocol):
    """Units held for carts in checkout (and, configurable, in carts), in MongoDB: what every channel's
    available stock subtracts until a hold expires, is released, or its ERP order consumes it."""

    async def held(self, skus: Sequence[str], now: datetime, *, except_cart: str | None = None) -> dict[str, int]:
        """Units of each SKU held by live holds (expiring after `now`), but those of `except_cart`;
        a SKU without holds is absent. Holds consumed by an ERP order are counted until they lapse
        (the caller's figure may predate the order); `holds_of` tells them apart."""

    async def holds_of(self, skus: Sequence[str], now: datetime) -> dict[str, list[Hold]]:
        """The live holds of each SKU (a SKU without holds is absent): what a figure subtracts
        according to its pool and the time it was read (domain/holds.py)."""

    async def hold(self, cart_id: str, wishes: Mapping[str, HoldRequest], now: datetime) -> dict[str, int]:
        """Sets the cart's hold on each SKU to its wish, each decided against the other carts' live
        holds in one atomic step per SKU; when one is refused, the others are set back as they were.
        Returns the refused SKUs with what the other holds leave (empty: all held). Publishes a STOCK
        event for each SKU whose held units changed."""

    async def release(self, cart_id: str, skus: Collection[str], now: datetime) -> None:
        """Drops the cart's holds on `skus` (those not consumed)."""

    async def consume(self, cart_id: str, skus: Collection[str], at: datetime, until: datetime,
                      now: datetime) -> None:
        """Marks the cart's holds consumed by its ERP order, confirmed by `at`, kept until `until`."""

    async def expire(self, now: datetime, limit: int) -> int:
        """Drops lapsed holds (at most `limit` SKUs' worth), publishing a STOCK event for each SKU whose
        held units changed; the number of SKUs changed."""


class CartStore(Protocol):
    """Carts, each change written only if the stored version is the one it was computed from."""

    async def prepare(self) -> None:
        """Creates the indexes carts rely on (idempotent; run at start-up)."""

    async def get(self, cart_id: str) -> Cart | None: ...

    async def active_for_customer(self, customer_id: str) -> Cart | None: ...

    async def insert(self, cart: Cart) -> None:
        """Raises CartConflict when `cart` would be its customer's second active cart."""

    async def replace(self, cart: Cart) -> bool:
        """Stores `cart` if the stored one has version `cart.version - 1`; False when it has moved on.
        Raises CartConflict when `cart` would be its customer's second active cart."""

    async def untouched(self, after: tuple[datetime, str] | None, before: datetime, limit: int) -> list[Cart]:
        """Signed-in customers' active carts with lines, no checkout running, last changed after `after`
        (an `(updated_at, cart_id)` position) and at or before `before`, in that order, at most `limit`:
        what an abandoned-cart reminder is about. Served by an index on `updated_at`."""


class IdempotencyStore(Protocol):
    """First use of a key wins; later uses read what it did. Records expire after a day."""

    async def prepare(self) -> None: ...

    async def claim(self, key: str, fingerprint: str, target: str) -> IdempotencyClaim | IdempotencyRecord:
        """A claim when this call now owns `key`, else the record of whoever used it first. A claim
        without an outcome after two minutes (its process died), or given up, is taken over: the
        new claim keeps the first claim's `target` and says it `resumed`."""

    async def complete(self, key: str, outcome: CartOutcome | ListOutcome) -> None: ...

    async def release(self, key: str, token: str) -> None:
        """Gives up the claim with this token (its operation did not finish, or may succeed when
        tried again): the next request with the key takes it over at once."""


class RedemptionLedger(Protocol):
    """The gateway's uses of discount codes (its orders go to the ERP, so the web-shop never counts
    them): each checkout reserves its codes' uses before the ERP order, atomically against the
    limits, confirms them after it, and releases them when no order was made."""

    async def prepare(self) -> None: ...

    async def usage(self, codes: Sequence[str], buyer_keys: Sequence[str]) -> dict[str, Usage]:
        """Per code, the uses held (reserved or confirmed; not a reservation older than the claim time,
        see `stale`): in all, and the most under one of `buyer_keys`."""

    async def reserve(self, cart_id: str, claims: Sequence[Claim]) -> str | None:
        """Takes one use of each claimed code for the cart, or none: the code whose limit is reached
        (None when all were taken). A code the cart holds already is not taken twice; one it holds
        but no longer claims is given back."""

    async def confirm(self, cart_id: str) -> None:
        """The cart's uses became an order."""

    async def release(self, cart_id: str) -> None:
        """Gives back the cart's reserved (unconfirmed) uses."""

    async def stale(self, code: str, limit: int) -> list[StaleUse]:
        """At most `limit` reservations of the code older than the claim time, never confirmed, the
        oldest first (`usage` no longer counts them)."""

    async def drop_stale(self, use: StaleUse) -> bool:
        """Gives the stale use back, unless its cart renewed it meanwhile; whether it did."""


class ApiKeyStore(Protocol):
    async def prepare(self) -> None: ...

    async def insert(self, key: ApiKey, event: KeyEvent) -> None: ...

    async def get(self, key_id: str) -> ApiKey | None: ...

    async def all(self) -> list[ApiKey]: ...

    async def revoke(self, key_id: str, at: datetime, event: KeyEvent) -> bool:
        """Sets `revoked_at` of a key not revoked yet, and nothing else, and records the event; False
        when the key is unknown or already revoked (a revocation is never undone or moved)."""

    async def replace_secret(self, key_id: str, old_sha256: str, new_sha256: str, event: KeyEvent) -> bool:
        """Sets the secret's hash, and nothing else, only if the key is not revoked and still has
        `old_sha256` (what the caller read), and records the event; False otherwise."""

    async def touch(self, key_id: str, at: datetime) -> None:
        """Records that the key was used (last_used_at), without touching anything else."""

    async def events(self, key_id: str | None = None, limit: int = 100) -> list[KeyEvent]:
        """The management actions, newest first; of one key when `key_id` is given."""


class BudgetStore(Protocol):
    """Token buckets shared by every gateway process, written with compare-and-swap."""

    async def prepare(self) -> None: ...

    async def read(self, bucket_id: str) -> BucketState | None: ...

    async def swap(self, bucket_id: str, new: BucketState, expected_version: int | None) -> bool:
        """Writes `new` if the stored version is still `expected_version` (None: no bucket yet)."""


class DocumentStore(Protocol):
    """GraphQL documents by the SHA-256 of their text (persisted queries), shared by every process."""

    async def prepare(self) -> None: ...

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str, owner: str | None = None) -> None:
        """Keeps the document, registered by `owner` (an API key id: it counts in that key's quota
        and may be evicted), or pinned when None (a trusted list's: never evicted). A second put of
        the same hash keeps the first owner; a pinned put pins a registered document."""

    async def touch(self, sha256: str, at: datetime) -> None:
        """Records that the document was used (its eviction goes by last use)."""

    async def evict(self, owner: str, keep: int) -> list[str]:
        """Deletes the least recently used documents `owner` registered beyond `keep` (pinned ones
        are not counted or deleted); the hashes deleted."""

    async def add_to_list(self, name: str, hashes: list[str], replace: bool = False) -> int:
        """Adds the hashes (of documents already put) to a trusted-document list, or makes them the
        whole list; the list's size after."""

    async def list_hashes(self, name: str) -> frozenset[str]:
        """The hashes of a trusted-document list; empty when there is no such list."""


class SavedListStore(Protocol):
    """Saved lists, each change written only if the stored version is the one it was computed from
    (as carts are). The list-management methods belong to the lists' use cases; the reminder worker
    relies on `watching` alone."""

    async def prepare(self) -> None: ...

    async def get(self, list_id: str) -> SavedList | None: ...

    async def of_customer(self, customer_id: str) -> list[SavedList]:
        """The customer's active lists, oldest first."""

    async def insert(self, saved: SavedList) -> None:
        """Raises ListConflict when the list's id, its customer's default list, its slot (one of
        the customer's `max_lists` places) or its name (among the customer's lists) is taken."""

    async def replace(self, saved: SavedList) -> bool:
        """Stores `saved` if the stored one has version `saved.version - 1`; False when it has moved on."""

    async def watching(self, skus: Collection[str], after: str | None, limit: int) -> list[Watch]:
        """Signed-in customers' saved items of `skus` (guests' lists are never reminded), at most
        `limit`, in a stable order; `after`: the last Watch's `f"{list_id}/{item_id}"` of the previous
        page. Served by an index on the items' SKUs: 100,000 saved items must not mean a scan."""

    async def skus_saved_by(self, customer_id: str) -> set[str]:
        """The SKUs in any of the customer's lists (what recommendations leave out and start from)."""


class RecommendationStore(Protocol):
    """The counts recommendations are read from, folded in from the ERP's order feed by one process at
    a time (a lease): products bought together, orders per product and channel, and what each
    customer bought. Each order adds its difference once (domain/recommendations.py)."""

    async def prepare(self) -> None: ...

    async def claim_pass(self, now: datetime, every: timedelta) -> bool:
        """True for the one process that may fold orders in now: none has within `every`."""

    async def release_pass(self, until: datetime) -> None:
        """Ends the lease the last `claim_pass` took at `until`, unless another process holds it since."""

    async def mark(self) -> ChangeMark | None:
        """How far the order feed has been folded in; None before the first order."""

    async def resume(self) -> int:
        """Finishes the folds an interrupted pass left half done; how many orders."""

    async def fold(self, events: Sequence[OrderEvent], mark: ChangeMark) -> int:
        """Folds the orders in (each order's difference since it was last folded, once) and keeps
        `mark`; how many orders changed the counts."""

    async def bought_with(self, product_ids: Collection[int], limit: int) -> dict[int, BoughtWith]:
        """Per product, how many counted orders hold it, and at most `limit` products bought with it,
        most often first."""

    async def popular(self, channel: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        """The orders counted in `channel` (ALL_CHANNELS: every one), and its `limit` most ordered
        products with their order counts, most first."""

    async def bought(self, customer_id: str) -> list[int]:
        """The products the customer bought (the `MAX_KEPT_PER_CUSTOMER` most recent), the most
        recently bought first: one read serves both what a personal list starts from and what it
        leaves out."""


class ReminderState(Protocol):
    """The reminder worker's lease and where it has read to, each customer's baseline per saved SKU,
    and the customers' alert preferences."""

    async def prepare(self) -> None: ...

    async def claim(self, now: datetime, every: timedelta) -> bool:
        """True for the one process that may run the worker now: none has within `every`."""

    async def cursor(self) -> ReminderCursor: ...

    async def save_cursor(self, cursor: ReminderCursor) -> None: ...

    async def states(self, keys: Collection[str]) -> dict[str, WatchState]:
        """The baselines kept under these keys (`domain.reminders.state_key`)."""

    async def keep(self, states: Sequence[WatchState]) -> None:
        """Stores each baseline (a newer version over an older one)."""

    async def preferences(self, customer_ids: Collection[str]) -> dict[str, AlertPreferences]:
        """The preferences customers set; a customer who set none is not in the answer (defaults apply)."""

    async def set_preferences(self, preferences: AlertPreferences) -> None: ...


class Outbox(Protocol):
    """Every decided message, stored once per event id with its deliveries, delivered after; also the
    customers' in-app notifications."""

    async def prepare(self) -> None: ...

    async def record(self, messages: Sequence[OutboxMessage]) -> int:
        """Stores the messages whose event ids are new, each in one write; how many were new."""

    async def outbound_since(self, customer_ids: Collection[str], since: datetime) -> dict[str, int]:
        """Per customer, the messages created after `since` with an e-mail or webhook not suppressed."""

    async def claim_delivery(self, delivery: Delivery, now: datetime) -> OutboxMessage | None:
        """One message whose `delivery` is due, now SENDING with one more attempt counted; None when none is."""

    async def settle(self, event_id: str, delivery: Delivery, attempt: Attempt) -> None:
        """What the claimed delivery came to: SENT, PENDING again (`next_at`), FAILED or SUPPRESSED."""

    async def recover(self, delivery: Delivery, claimed_before: datetime, resend: bool) -> int:
        """Messages whose `delivery` has been SENDING since before `claimed_before` (their process died
        between claiming and settling): PENDING again when `resend` (the receiver drops a second copy by
        its idempotency id), else FAILED as interrupted, since they may have been sent. How many."""

    async def get(self, event_id: str) -> OutboxMessage | None: ...

    async def notifications(self, customer_id: str, first: int,
                            after: tuple[datetime, str] | None) -> list[OutboxMessage]:
        """The customer's in-app messages, newest first, after a `(created_at, event_id)` position."""

    async def mark_read(self, customer_id: str, event_ids: Collection[str], at: datetime) -> list[str]:
        """Marks those of `event_ids` that are the customer's own as read (when unread); their ids."""


class MailSender(Protocol):
    async def send(self, to: str, alert: Alert, unsubscribe_url: str) -> None:
        """Hands the alert's e-mail to the mail server; raises BackendError when it did not take it."""


class WebhookSender(Protocol):
    async def send(self, alert: Alert, email: str | None, at: datetime) -> None:
        """Posts the alert, signed, stamped `at`; raises BackendError unless the receiver took it (2xx)."""


class MarketplaceSyncStore(Protocol):
    """The marketplace sync's state in MongoDB: its leases, where the push has read the event log to,
    each SKU's last push (by SKU), each imported order (by its marketplace id) and the import's cursor."""

    async def prepare(self) -> None: ...

    async def claim(self, job: str, now: datetime, every: timedelta) -> bool:
        """True for the one process that may run `job` now: none holds its lease."""

    async def release(self, job: str, until: datetime) -> None:
        """Ends the lease this process's last `claim` of `job` took, at `until`."""

    async def position(self) -> tuple[int | None, datetime | None, str | None]:
        """The last event id the push has handled (None before its first pass), when the last full
        reconciliation ended (None: never), and the SKU the one under way has reached ("" at its start;
        None: none under way)."""

    async def save_position(self, event_id: int, at: datetime, *, pushed: bool, reconcile_after: str | None,
                            reconciled: bool) -> None:
        """Keeps the position and that a pass ended at `at`; whether it pushed anything, where the
        reconciliation under way has reached, and whether one was completed."""

    async def offers(self, skus: Collection[str]) -> dict[str, OfferSync]: ...

    async def keep(self, states: Sequence[OfferSync]) -> None: ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """SKUs whose refused push is due to be tried again."""

    async def page(self, after: str | None, limit: int, failing_only: bool) -> list[OfferSync]:
        """SKUs in order after `after`; only those whose last push was refused when `failing_only`."""

    async def summary(self) -> SyncSummary: ...

    async def order(self, order_id: str) -> OrderImport | None: ...

    async def put_order(self, record: OrderImport, newly_imported: bool = False) -> None:
        """Stores the record (`newly_imported`: the ERP order was made now: counted once)."""

    async def due_orders(self, now: datetime, limit: int) -> list[OrderImport]:
        """Orders not imported yet (pending or failed) whose try is due."""

    async def import_cursor(self) -> datetime | None: ...

    async def save_import_cursor(self, cursor: datetime) -> None: ...
