"""One customer profile from the ERP's contact (the system of record), the web-shop's customer and
the app backend's customer, read at once, one call each.

The ERP's contact is the customer's by the customer id (or, without one, by their verified e-mail,
when it belongs to no other customer); the web-shop's and the app's customers only by the token's
verified e-mail: an address nobody verified reaches nothing. Each field comes from the first backend
that has it, the ERP first, then the web-shop, then the app backend (PRECEDENCE); `sources` says
which. Customer groups are every backend's, together. A backend that fails is reported, and the
profile is made of the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field

from domain.customers import CustomerRecord
from domain.errors import BackendError
from domain.records import Address
from domain.roles import Role
from resolvers.context import RequestContext

PRECEDENCE = (Role.ERP, Role.WEB_SHOP, Role.APP_BACKEND)
MATCHES = "customer_matches"  # the memo's key of an operation's matches
FIELDS = ("email", "first_name", "last_name", "phone", "addresses", "accepts_marketing")


@dataclass(frozen=True, slots=True)
class Profile:
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] = ()
    accepts_marketing: bool | None = None
    groups: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # (field, backend name)
    failures: tuple[BackendError, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Matches:
    """What each backend holds of the signed-in customer (None: nothing, or it failed)."""

    records: dict[Role, CustomerRecord | None]
    failures: dict[Role, BackendError]


async def settled[T](work: Awaitable[T]) -> T | BackendError:
    try:
        return await work
    except BackendError as exc:
        return exc


async def matches(ctx: RequestContext) -> Matches:
    """The backends' records of the customer, read once per operation (the profile and the order
    history share them)."""
    if MATCHES in ctx.memo:
        return await ctx.memo[MATCHES]
    ctx.memo[MATCHES] = task = asyncio.ensure_future(_read_matches(ctx))
    return await task


async def _read_matches(ctx: RequestContext) -> Matches:
    customer_id, email = ctx.customer_id, ctx.customer_email
    if customer_id is None:
        return Matches({}, {})
    backends = ctx.services.backends
    reads: dict[Role, Awaitable[CustomerRecord | None]] = {Role.ERP: backends.erp.contact_of(customer_id, email)}
    if email:  # only a verified address reaches the web-shop's and the app's customers
        reads[Role.WEB_SHOP] = backends.content.customer_by_email(email)
        reads[Role.APP_BACKEND] = backends.app.customer_by_email(email)
    answers = dict(zip(reads, await asyncio.gather(*(settled(r) for r in reads.values())), strict=True))
    return Matches({role: found for role, found in answers.items() if not isinstance(found, BackendError)},
                   {role: found for role, found in answers.items() if isinstance(found, BackendError)})


def merge(found: Matches) -> Profile:
    records = [r for role in PRECEDENCE if (r := found.records.get(role)) is not None]
    values: dict[str, object] = {}
    sources: list[tuple[str, str]] = []
    for name in FIELDS:
        supplier = next((r for r in records if getattr(r, name) not in (None, ())), None)
        if supplier is not None:
            values[name] = getattr(supplier, name)
            sources.append((name, supplier.backend))
    groups = [(g, r.backend) for r in records for g in r.groups]
    sources += [("groups", backend) for backend in dict.fromkeys(b for _, b in groups)]
    failures = tuple(found.failures[role] for role in PRECEDENCE if role in found.failures)
    return Profile(**values, groups=tuple(dict.fromkeys(g for g, _ in groups)),  # type: ignore[arg-type]
                   sources=tuple(sources), failures=failures)


async def profile(ctx: RequestContext) -> Profile:
    return merge(await matches(ctx))
