"""Reminders and alerts: what a customer is told about what they saved or left in a cart, the rules
that decide it, and the outbox record of each message until it is delivered.

A watch's baseline is kept per customer and SKU (`WatchState`): the stock figure last seen when it
moved to another band (sold out, low, plenty: a back-in-stock or low-stock alert is a crossing, 0 ->
more, or above the low-stock mark -> at or below it) and the price the customer last heard of (when
saved, or at the last price-drop alert).
Each decision's event id is made of the customer, the kind, the SKU and the state's version, so
the same decision made twice (a pass that died before it wrote the new state) is stored once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.backoff import doubled


class AlertKind(StrEnum):
    BACK_IN_STOCK = "BACK_IN_STOCK"
    LOW_STOCK = "LOW_STOCK"
    PRICE_DROP = "PRICE_DROP"
    CART_REMINDER = "CART_REMINDER"


class Delivery(StrEnum):
    """The ways a message reaches the customer."""

    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"
    IN_APP = "IN_APP"


OUTBOUND = (Delivery.EMAIL, Delivery.WEBHOOK)  # what the outbox delivers (in-app is read where it is stored)


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"        # waits for its next attempt (`next_at`)
    SENDING = "SENDING"        # claimed by a delivery; sent or not, a crash leaves it here
    SENT = "SENT"
    FAILED = "FAILED"          # given up after the last attempt, or interrupted while sending an e-mail
    SUPPRESSED = "SUPPRESSED"  # never sent: over the daily cap, or the customer withdrew consent first


@dataclass(frozen=True, slots=True)
class AlertRules:
    low_stock_units: int = 10            # at or below this many units, a saved item's stock is low
    price_drop_min_percent: Decimal = Decimal(5)  # a smaller drop is not worth a message
    cart_after: timedelta = timedelta(hours=24)   # a signed-in customer's cart untouched this long is reminded
    daily_cap: int = 3                   # outbound messages per customer within 24 hours; more are suppressed
    max_attempts: int = 6                # delivery attempts per message before it is given up
    retry_base: timedelta = timedelta(seconds=60)  # the wait after the first failure, doubled after each
    retry_max: timedelta = timedelta(hours=1)

    def retry_after(self, attempts: int) -> timedelta:
        return doubled(self.retry_base, self.retry_max, attempts)


ALL_KINDS = frozenset(AlertKind)
# honest defaults: what the customer asked for by saving is shown in the app; e-mail and the retailer's
# webhook (which reaches the customer outside the gateway) need the customer's own yes
DEFAULT_DELIVERIES = frozenset({Delivery.IN_APP})


@dataclass(frozen=True, slots=True)
class AlertPreferences:
    customer_id: str
    deliveries: frozenset[Delivery] = DEFAULT_DELIVERIES
    kinds: frozenset[AlertKind] = ALL_KINDS
    email: str | None = None  # the token's verified e-mail when last captured; never one the customer typed
    updated_at: datetime | None = None

    def wants(self, kind: AlertKind, delivery: Delivery) -> bool:
        return kind in self.kinds and delivery in self.deliveries and (delivery is not Delivery.EMAIL or bool(self.email))


@dataclass(frozen=True, slots=True)
class WatchState:
    """A customer's baseline for one SKU: the stock last seen and the price last told."""

    customer_id: str
    sku: str
    stock: int | None
    price: Decimal | None
    currency: str | None
    version: int = 0

    @property
    def key(self) -> str:
        return state_key(self.customer_id, self.sku)


def state_key(customer_id: str, sku: str) -> str:
    return f"{customer_id}\x1f{sku}"


@dataclass(frozen=True, slots=True)
class Reading:
    """Today's figures of one SKU in one channel."""

    stock: int
    price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Decision:
    kind: AlertKind
    before: str  # the figure the customer knew (units or price), as the message says it
    after: str


def decide(state: WatchState, now: Reading, rules: AlertRules) -> tuple[list[Decision], WatchState]:
    """What changed enough to tell, and the baseline to keep (a new version when anything changed)."""
    decisions: list[Decision] = []
    stock, low = state.stock, rules.low_stock_units
    if stock == 0 and now.stock > 0:
        decisions.append(Decision(AlertKind.BACK_IN_STOCK, "0", str(now.stock)))
    elif 0 < now.stock <= low and (stock is None or stock > low):
        decisions.append(Decision(AlertKind.LOW_STOCK, "" if stock is None else str(stock), str(now.stock)))
    price = state.price
    if price is not None and state.currency == now.currency and price > 0 and now.price < price \
            and (price - now.price) * 100 >= price * rules.price_drop_min_percent:
        decisions.append(Decision(AlertKind.PRICE_DROP, str(price), str(now.price)))
    told_price, currency = price, state.currency
    if decisions and decisions[-1].kind is AlertKind.PRICE_DROP:
        told_price = now.price
    elif price is None or state.currency != now.currency:  # nothing comparable known: today's is the baseline
        told_price, currency = now.price, now.currency
    # only a new band of stock (sold out, low, plenty) or a new told price is a new baseline: most changes
    # move neither, and cost no write
    if (stock_band(now.stock, low), told_price, currency) == (stock_band(stock, low), price, state.currency):
        return decisions, state
    return decisions, WatchState(state.customer_id, state.sku, now.stock, told_price, currency, state.version + 1)


def stock_band(stock: int | None, low: int) -> int | None:
    return None if stock is None else 0 if stock <= 0 else 1 if stock <= low else 2


def event_id(customer_id: str, kind: AlertKind, subject: str, version: int) -> str:
    """The decision's identity: one message per customer, kind, SKU (or cart) and baseline version."""
    return hashlib.sha256(f"{customer_id}\x1f{kind}\x1f{subject}\x1f{version}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Alert:
    """One decided message, as the outbox stores it and every delivery renders it."""

    event_id: str
    customer_id: str
    kind: AlertKind
    sku: str
    channel: str      # the channel the item was saved (or the cart made) in: its prices, its link
    title: str        # the product's title, as the ERP names it (plain text: each channel escapes it)
    message: str      # one sentence, plain text
    link: str         # the product in that channel
    before: str
    after: str
    currency: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReminderCursor:
    """Where the worker has read to: the invalidation log (the newest publication taken, and the ids
    taken within the log's lookback before it) and the carts (the last `(updated_at, cart_id)` seen)."""

    log_read_up_to: datetime | None = None
    log_seen: dict[str, datetime] = field(default_factory=dict)
    carts_after: tuple[datetime, str] | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    status: DeliveryStatus
    attempts: int = 0
    next_at: datetime | None = None
    last_error: str | None = None
    address: str | None = None  # the e-mail recipient


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    alert: Alert
    deliveries: dict[Delivery, Attempt] = field(default_factory=dict)
    in_app: bool = False
    read_at: datetime | None = None
    suppressed: str | None = None  # why outbound deliveries were not made (daily cap)


def low_stock_sentence(title: str, saved: int | None, now: str) -> str:
    of = f" of the {saved} units" if saved else ""
    return f"{title}: only {now}{of} left"


def sentence(kind: AlertKind, title: str, before: str, after: str, currency: str | None,
             saved_stock: int | None = None) -> str:
    match kind:
        case AlertKind.BACK_IN_STOCK:
            return f"{title} is back in stock: {after} available"
        case AlertKind.LOW_STOCK:
            return low_stock_sentence(title, saved_stock, after)
        case AlertKind.PRICE_DROP:
            return f"{title} now costs {after} {currency} (was {before} {currency})"
        case AlertKind.CART_REMINDER:
            return f"Your cart is waiting for you: {after} item(s), including {title}"
