"""One order history from every system that takes orders: the ERP's orders of the customer's contact,
the web-shop's and the app backend's orders of the customer matched by their verified e-mail.

Newest first. One order in two systems is shown once: the copy in the system that took it. The ERP
holds a copy of every web-shop and app order (linked by the other system's order number, see the
ERP adapter), and the ERP is asked to leave those copies out when the system that took them is read;
when that system cannot be read (it fails, has no customer for the e-mail, or no verified e-mail is
given), the ERP's copies stand in for its orders and the failure is reported.

Pages are cut across the systems by a cursor: the second of the last order shown and the keys of the
orders of that second shown so far, per system. A page asks each system for `first + 1` orders of
that second or older, but those, so reading a page never costs more than one call per system (two
for a system whose customer is looked up first, and one more to the ERP when a system fails), each
of at most `first + 1` orders, however far the customer has paged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime

from domain.customers import HistoryOrder, OrderWindow
from domain.errors import BackendError, BadUserInput
from domain.ports import CustomerSource
from domain.roles import Role
from resolvers import catalog, profile
from resolvers.context import RequestContext
from resolvers.cursors import pack, unpack

VERSION = 1
MAX_SEEN = 1_000  # keys a cursor may carry: far more than one second of a customer's orders holds
CHANNEL_OF = {Role.WEB_SHOP: "WEB", Role.APP_BACKEND: "APP"}  # the orders each system takes, as the ERP names them
RANK = {Role.ERP: 0, Role.WEB_SHOP: 1, Role.APP_BACKEND: 2}  # ties in one instant, in this order


@dataclass(frozen=True, slots=True)
class Position:
    until: datetime | None
    seen: dict[str, frozenset[str]]  # per backend name


@dataclass(frozen=True, slots=True)
class HistoryPage:
    orders: list[tuple[HistoryOrder, str]]  # each with its cursor
    has_next: bool
    has_previous: bool
    failures: list[BackendError]


def encode(position: Position) -> str:
    body = {"v": VERSION, "t": position.until.isoformat() if position.until else None,
            "s": {name: sorted(keys) for name, keys in sorted(position.seen.items())}}
    return pack(json.dumps(body, separators=(",", ":")))


def decode(cursor: str) -> Position:
    try:
        body = json.loads(unpack(cursor))
        if body["v"] == VERSION:
            until = datetime.fromisoformat(body["t"])
            seen = {str(name): frozenset(str(k) for k in keys) for name, keys in body["s"].items()
                    if isinstance(keys, list)}
            if until.tzinfo is not None and sum(map(len, seen.values())) <= MAX_SEEN:
                return Position(until, seen)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        pass
    raise BadUserInput(f"`after` {cursor[:80]!r} is not a cursor of this order history; pass an edge's `cursor` "
                       "or `pageInfo.endCursor`")


def _order_key(order: HistoryOrder, ranks: dict[str, int]) -> tuple:
    return (order.created_at, -ranks.get(order.backend, 9), order.key)


async def history(ctx: RequestContext, first: int, after: str | None) -> HistoryPage:
    catalog.check_first(first)
    start = decode(after) if after else Position(None, {})
    customer_id = ctx.customer_id
    if customer_id is None:
        return HistoryPage([], False, False, [])
    backends = ctx.services.backends
    names = {role: backends.name_of(role) for role in RANK}

    def window(role: Role) -> OrderWindow:
        return OrderWindow(start.until, start.seen.get(names[role], frozenset()), first + 1)

    found = await profile.matches(ctx)
    failures = [found.failures[role] for role in CHANNEL_OF if role in found.failures]
    shops = {role: record.key for role in CHANNEL_OF if (record := found.records.get(role)) is not None}
    systems: dict[Role, CustomerSource] = {Role.WEB_SHOP: backends.content, Role.APP_BACKEND: backends.app}
    reads: dict[Role, Awaitable[list[HistoryOrder]]] = {
        role: systems[role].order_history(key, window(role)) for role, key in shops.items()}
    hidden = [CHANNEL_OF[role] for role in shops]
    reads[Role.ERP] = backends.erp.order_history(customer_id, window(Role.ERP), hidden)
    settled = dict(zip(reads, await asyncio.gather(*(profile.settled(r) for r in reads.values())), strict=True))
    lost = [CHANNEL_OF[role] for role in shops if isinstance(settled[role], BackendError)]
    if lost and not isinstance(settled[Role.ERP], BackendError):
        # the ERP's copies stand in for the orders of the systems that failed
        kept = [channel for channel in hidden if channel not in lost]
        settled[Role.ERP] = await profile.settled(backends.erp.order_history(customer_id, window(Role.ERP), kept))
    orders: list[HistoryOrder] = []
    for role, result in settled.items():
        if isinstance(result, BackendError):
            failures.append(result)
        else:
            orders += result
    ranks = {names[role]: rank for role, rank in RANK.items()}
    orders.sort(key=lambda o: _order_key(o, ranks), reverse=True)
    return HistoryPage(_with_cursors(start, orders[:first]), len(orders) > first, after is not None, failures)


def _with_cursors(start: Position, orders: list[HistoryOrder]) -> list[tuple[HistoryOrder, str]]:
    """Each order with the position after it: its second, and the orders of that second shown so far."""
    until, seen = start.until, {name: set(keys) for name, keys in start.seen.items()}
    placed = []
    for order in orders:
        second = order.created_at.replace(microsecond=0)
        if second != until:
            until, seen = second, {}
        seen.setdefault(order.backend, set()).add(order.key)
        placed.append((order, encode(Position(until, {n: frozenset(k) for n, k in seen.items()}))))
    return placed
