"""In-memory stand-ins for the cart and idempotency stores (with MongoDB's rules: a version-checked
replace, one active cart per customer, claims abandoned after two minutes), an ERP that takes
orders, and a world of them with a clock the test moves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.mongo.idempotency import ABANDONED_AFTER, GIVEN_UP
from domain.api_keys import ApiKey
from domain.carts import (
    Cart,
    CartOutcome,
    CartRules,
    CartStatus,
    IdempotencyClaim,
    IdempotencyRecord,
)
from domain.channels import Channel
from domain.errors import BackendUnavailable, CartConflict
from domain.records import ErpOrder, OrderDraft, StockQuant
from resolvers.backends import Backends
from resolvers.context import RequestContext, Services
from resolvers.stores import StoreDirectory
from tests.unit.fakes import BERLIN, DC, MUNICH, FakeErp, World, variant

Hook = Callable[[Cart], Awaitable[None]]


class Clock:
    def __init__(self, start: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class MemoryCartStore:
    carts: dict[str, Cart] = field(default_factory=dict)
    before_write: Hook | None = None  # runs before each write lands: to fail it, or to change carts meanwhile
    after_write: Hook | None = None  # runs after a write landed: to fail as a timeout after the store applied it
    writes: int = 0
    refused: int = 0  # replaces of a version another writer had moved on from

    async def prepare(self) -> None:
        pass

    async def get(self, cart_id: str) -> Cart | None:
        return self.carts.get(cart_id)

    async def active_for_customer(self, customer_id: str) -> Cart | None:
        return next((c for c in self.carts.values()
                     if c.customer_id == customer_id and c.status is CartStatus.ACTIVE), None)

    async def insert(self, cart: Cart) -> None:
        await self._before(cart)
        if cart.cart_id in self.carts:
            raise CartConflict("a cart with this id exists")
        self._check_unique(cart)
        await self._store(cart)

    async def replace(self, cart: Cart) -> bool:
        await self._before(cart)
        stored = self.carts.get(cart.cart_id)
        if stored is None or stored.version != cart.version - 1:
            self.refused += 1
            return False
        self._check_unique(cart)
        await self._store(cart)
        return True

    async def _before(self, cart: Cart) -> None:
        if self.before_write is not None:
            await self.before_write(cart)

    async def _store(self, cart: Cart) -> None:
        self.carts[cart.cart_id] = cart
        self.writes += 1
        if self.after_write is not None:
            await self.after_write(cart)

    def _check_unique(self, cart: Cart) -> None:
        if cart.customer_id is not None and cart.status is CartStatus.ACTIVE:
            if any(c.cart_id != cart.cart_id for c in self.carts.values()
                   if c.customer_id == cart.customer_id and c.status is CartStatus.ACTIVE):
                raise CartConflict("the customer already has an active cart")


@dataclass
class MemoryIdempotencyStore:
    clock: Callable[[], datetime]
    records: dict[str, tuple[IdempotencyRecord, str, datetime, str]] = field(default_factory=dict)  # by key:
    # (record, target, claimed at, token)
    tokens: int = 0
    failing: set[str] = field(default_factory=set)  # the methods that fail, as when the store goes down

    async def prepare(self) -> None:
        pass

    async def claim(self, key: str, fingerprint: str, target: str) -> IdempotencyClaim | IdempotencyRecord:
        self._check("claim")
        now = self.clock()
        self.tokens += 1
        token = str(self.tokens)
        if key not in self.records:
            self.records[key] = (IdempotencyRecord(fingerprint, None), target, now, token)
            return IdempotencyClaim(target, token)
        record, first_target, claimed_at, _ = self.records[key]
        if record.fingerprint == fingerprint and record.outcome is None and now - claimed_at > ABANDONED_AFTER:
            self.records[key] = (record, first_target, now, token)
            return IdempotencyClaim(first_target, token, resumed=True)
        return record

    async def complete(self, key: str, outcome: CartOutcome) -> None:
        self._check("complete")
        record, target, at, token = self.records[key]
        self.records[key] = (IdempotencyRecord(record.fingerprint, outcome), target, at, token)

    async def release(self, key: str, token: str) -> None:
        self._check("release")
        record, target, _, held = self.records[key]
        if record.outcome is None and held == token:
            self.records[key] = (record, target, GIVEN_UP, held)

    def _check(self, method: str) -> None:
        if method in self.failing:
            raise BackendUnavailable("mongodb", "idempotency store down for the test")


@dataclass
class OrderingErp(FakeErp):
    orders: list[ErpOrder] = field(default_factory=list)
    order_failure: str | None = None  # "before": create_order fails without an order; "after": with one made

    async def order_by_reference(self, reference: str) -> ErpOrder | None:
        self._call("order_by_reference", reference)
        return next((o for o in self.orders if o.reference == reference), None)

    async def create_order(self, draft: OrderDraft) -> ErpOrder:
        self._call("create_order", draft.reference)
        if self.order_failure == "before":
            raise BackendUnavailable(self.name, "refused the order")
        order = ErpOrder(erp_id=len(self.orders) + 1, number=f"S{len(self.orders) + 1:05}", state="sale",
                         reference=draft.reference, channel=draft.channel,
                         total=sum((line.unit_price * line.quantity for line in draft.lines), Decimal(0)),
                         currency="EUR", created_at=None, lines=draft.lines)
        self.orders.append(order)
        if self.order_failure == "after":
            raise BackendUnavailable(self.name, "timed out after it committed the order")
        return order

    async def confirm_order(self, order: ErpOrder) -> ErpOrder:
        return order


SKUS = ("JACKET-M", "JACKET-L", "SCARF")


@dataclass
class CartWorld:
    """Three variants in stock (5, 2 and 0 of SCARF), carts and keys in memory, a clock to move."""

    clock: Clock = field(default_factory=Clock)
    world: World = field(default_factory=lambda: World(erp=OrderingErp(sites=[DC, BERLIN, MUNICH])))
    rules: CartRules = field(default_factory=CartRules)
    carts: MemoryCartStore = field(default_factory=MemoryCartStore)
    idempotency: MemoryIdempotencyStore = field(init=False)

    def __post_init__(self) -> None:
        self.idempotency = MemoryIdempotencyStore(self.clock)
        erp = self.world.erp
        erp.variants = [variant(10, "JACKET-M", 1, "20.00"), variant(11, "JACKET-L", 1, "20.00"),
                        variant(20, "SCARF", 2, "9.90")]
        erp.quants = [StockQuant(10, 11, Decimal(5), Decimal(0)), StockQuant(11, 11, Decimal(2), Decimal(0))]

    @property
    def erp(self) -> OrderingErp:
        return self.world.erp  # type: ignore[return-value]

    def context(self, customer_id: str | None = None, api_key: ApiKey | None = None,
                channel: Channel = Channel.WEB) -> RequestContext:
        w = self.world
        services = Services(backends=Backends(erp=w.erp, content=w.content, app=w.app, marketplace=w.marketplace),
                            rules=w.rules, directory=StoreDirectory(w.erp, pickup_codes=w.rules.pickup_warehouses),
                            carts=self.carts, idempotency=self.idempotency, cart_rules=self.rules, clock=self.clock)
        return RequestContext(services=services, request_id="test", channel=channel, customer_id=customer_id,
                              api_key=api_key, live_stock=True)
