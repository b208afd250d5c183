"""What a signed-in customer does with reminders: reads the in-app feed, marks notifications read,
sets which alerts reach them how. Everything is the token's customer's own: another's notification
is not found, whatever its ID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.error_codes import AlertErrorCode
from domain.errors import BadUserInput
from domain.reminders import AlertKind, AlertPreferences, Delivery, OutboxMessage
from resolvers import cursors, global_ids
from resolvers.catalog import check_first
from resolvers.context import RequestContext
from resolvers.reminders.services import ReminderServices

MAX_IDS = 100


@dataclass(frozen=True, slots=True)
class AlertUserError:
    code: AlertErrorCode
    message: str
    field: tuple[str | int, ...] | None = None


@dataclass(frozen=True, slots=True)
class NotificationPage:
    messages: list[OutboxMessage]
    has_next: bool


def reminders_of(ctx: RequestContext) -> ReminderServices:
    found = ctx.services.reminders
    if found is None:
        raise RuntimeError("this gateway runs without reminders")
    return found


def _customer(ctx: RequestContext) -> str:
    if ctx.customer_id is None:
        raise RuntimeError("reached without a signed-in customer")  # `me` is null for a guest
    return ctx.customer_id


async def notifications(ctx: RequestContext, customer_id: str, first: int, after: str | None) -> NotificationPage:
    check_first(first)
    position = cursors.decode_position(after) if after else None
    found = await reminders_of(ctx).outbox.notifications(customer_id, first + 1, position)
    return NotificationPage(found[:first], len(found) > first)


def cursor_of(message: OutboxMessage) -> str:
    return cursors.encode_position(message.alert.created_at, message.alert.event_id)


async def mark_read(ctx: RequestContext, ids: list[str]) -> tuple[list[OutboxMessage], list[AlertUserError]]:
    if len(ids) > MAX_IDS:
        return [], [AlertUserError(AlertErrorCode.TOO_MANY_IDS, f"at most {MAX_IDS} IDs at once", ("ids",))]
    customer, errors, keys = _customer(ctx), [], {}
    for n, global_id in enumerate(ids):
        try:
            kind, key = global_ids.decode(global_id)
        except BadUserInput:
            kind, key = "", ""
        if kind == "Notification":
            keys[key] = n
        else:
            errors.append(AlertUserError(AlertErrorCode.NOTIFICATION_NOT_FOUND, f"no notification {global_id!r}",
                                         ("ids", n)))
    r = reminders_of(ctx)
    marked = set(await r.outbox.mark_read(customer, list(keys), ctx.services.clock()))
    errors += [AlertUserError(AlertErrorCode.NOTIFICATION_NOT_FOUND, f"no notification {ids[n]!r}", ("ids", n))
               for key, n in keys.items() if key not in marked]
    found = [m for key in keys if key in marked and (m := await r.outbox.get(key)) is not None]
    return found, errors


async def preferences(ctx: RequestContext) -> AlertPreferences:
    customer = _customer(ctx)
    r = reminders_of(ctx)
    return r.preferences_of(customer, await r.state.preferences([customer]))


async def update_preferences(ctx: RequestContext, deliveries: list[Delivery] | None,
                             kinds: list[AlertKind] | None) -> tuple[AlertPreferences, list[AlertUserError]]:
    """Sets what the customer gets (what is not given stays as it was) and captures the token's
    verified e-mail, the only address e-mails are sent to. An empty list of deliveries unsubscribes
    from everything."""
    current, r = await preferences(ctx), reminders_of(ctx)
    wanted = current.deliveries if deliveries is None else frozenset(deliveries)
    errors = [AlertUserError(AlertErrorCode.DELIVERY_NOT_OFFERED, f"this gateway offers no {d.value} delivery",
                             ("input", "deliveries")) for d in sorted(wanted - r.offered())]
    email = ctx.customer_email or current.email
    if Delivery.EMAIL in wanted and email is None:
        errors.append(AlertUserError(AlertErrorCode.EMAIL_NOT_VERIFIED, "sign in with a verified e-mail to get "
                                     "e-mail alerts", ("input", "deliveries")))
    if errors:
        return current, errors
    updated = AlertPreferences(current.customer_id, wanted, current.kinds if kinds is None else frozenset(kinds),
                               email, ctx.services.clock())
    await r.state.set_preferences(updated)
    return updated, []


async def remember_email(ctx: RequestContext) -> None:
    """Keeps the token's verified e-mail with the customer's preferences (saving an item calls this),
    so that an e-mail alert, once consented to, goes to the address the identity provider verified."""
    r = ctx.services.reminders
    if r is None or ctx.customer_id is None or ctx.customer_email is None:
        return
    current = r.preferences_of(ctx.customer_id, await r.state.preferences([ctx.customer_id]))
    if current.email != ctx.customer_email:
        await r.state.set_preferences(AlertPreferences(current.customer_id, current.deliveries, current.kinds,
                                                       ctx.customer_email, ctx.services.clock()))


async def unsubscribe(reminders: ReminderServices, token: str, now: datetime) -> bool:
    """The one-click unsubscribe: stops e-mail alerts of the token's customer; False for a bad token."""
    customer = reminders.customer_of_token(token)
    if customer is None:
        return False
    current = reminders.preferences_of(customer, await reminders.state.preferences([customer]))
    await reminders.state.set_preferences(AlertPreferences(customer, current.deliveries - {Delivery.EMAIL},
                                                           current.kinds, current.email, now))
    return True
