"""The customer's reminders: the in-app feed (`me { notifications }`), marking it read, and which
alerts reach them how (`me { alertPreferences }`, `alertPreferencesUpdate`)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.error_codes import AlertErrorCode
from domain.reminders import AlertKind, AlertPreferences as PreferencesRecord, Delivery, OutboxMessage
from resolvers import catalog, global_ids
from resolvers.reminders import customer as reminders
from schema.catalog.types import PageInfo, Product
from schema.context import ctx, guarded
from schema.node import Node
from schema.scopes import needs
from schema.user_errors import UserError, code_enum, field_path

strawberry.enum(AlertKind, name="NotificationKind", description="What a reminder is about.")
strawberry.enum(Delivery, name="AlertDelivery", description="How reminders reach the customer.")
code_enum(AlertErrorCode)


@strawberry.type(description="A reminder in the customer's in-app feed.")
class Notification(Node):
    record: strawberry.Private[OutboxMessage]

    @classmethod
    def of(cls, record: OutboxMessage) -> Notification:
        return cls(id=strawberry.ID(global_ids.encode("Notification", record.alert.event_id)), record=record)

    @strawberry.field
    def kind(self) -> AlertKind:
        return self.record.alert.kind

    @strawberry.field(description="One sentence with the figures before and after, as plain text.")
    def message(self) -> str:
        return self.record.alert.message

    @strawberry.field(description="The product's page in the channel the item was saved in.")
    def link(self) -> str:
        return self.record.alert.link

    @strawberry.field(description="The product it is about; null when the ERP no longer sells it.")
    async def product(self, info: Info) -> Product | None:
        found = await guarded(info, catalog.find_product(ctx(info), id=None, sku=self.record.alert.sku, gtin=None))
        return Product.of(found) if found else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.alert.created_at

    @strawberry.field(description="When the customer marked it read; null while unread.")
    def read_at(self) -> datetime | None:
        return self.record.read_at


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Notification]:
        return [edge.node for edge in self.edges]


async def notification_connection(info: Info, customer_id: str, first: int,
                                  after: str | None) -> NotificationConnection:
    page = await reminders.notifications(ctx(info), customer_id, first, after)
    edges = [NotificationEdge(cursor=reminders.cursor_of(m), node=Notification.of(m)) for m in page.messages]
    return NotificationConnection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(description="Which reminders reach the customer, and how.")
class AlertPreferences:
    record: strawberry.Private[PreferencesRecord]

    @strawberry.field(description="By default IN_APP only: e-mail and webhook need the customer's consent.")
    def deliveries(self) -> list[Delivery]:
        return sorted(self.record.deliveries, key=list(Delivery).index)

    @strawberry.field
    def kinds(self) -> list[AlertKind]:
        return sorted(self.record.kinds, key=list(AlertKind).index)

    @strawberry.field(description="Where e-mails go: the verified e-mail of the customer's token, when last seen.")
    def email(self) -> str | None:
        return self.record.email


@strawberry.input
class AlertPreferencesInput:
    deliveries: list[Delivery] | None = strawberry.field(
        default=None, description="How reminders may reach the customer; [] unsubscribes from all. Null: unchanged.")
    kinds: list[AlertKind] | None = strawberry.field(
        default=None, description="Which reminders the customer wants; null: unchanged.")


@strawberry.type(description="Why a reminders mutation changed nothing.")
class AlertUserError(UserError):
    code: AlertErrorCode

    @classmethod
    def of(cls, error: reminders.AlertUserError) -> AlertUserError:
        return cls(code=error.code, message=error.message, field=field_path(error.field))


@strawberry.type
class AlertPreferencesPayload:
    alert_preferences: AlertPreferences | None
    user_errors: list[AlertUserError]


@strawberry.type
class NotificationsMarkReadPayload:
    notifications: list[Notification]
    user_errors: list[AlertUserError]


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Sets which reminders reach the signed-in customer and how; keeps the token's "
                                     "verified e-mail as the address e-mails go to.",
                         extensions=[needs(Scope.PROFILE_WRITE)])
    async def alert_preferences_update(self, info: Info, input: AlertPreferencesInput) -> AlertPreferencesPayload:
        if ctx(info).customer_id is None:
            return AlertPreferencesPayload(alert_preferences=None, user_errors=[_signed_out()])
        updated, errors = await reminders.update_preferences(ctx(info), input.deliveries, input.kinds)
        return AlertPreferencesPayload(alert_preferences=None if errors else AlertPreferences(record=updated),
                                       user_errors=[AlertUserError.of(e) for e in errors])

    @strawberry.mutation(description="Marks the signed-in customer's notifications read (another's are not found).",
                         extensions=[needs(Scope.NOTIFICATIONS_READ)])
    async def notifications_mark_read(self, info: Info, ids: list[strawberry.ID]) -> NotificationsMarkReadPayload:
        if ctx(info).customer_id is None:
            return NotificationsMarkReadPayload(notifications=[], user_errors=[_signed_out()])
        marked, errors = await reminders.mark_read(ctx(info), [str(i) for i in ids])
        return NotificationsMarkReadPayload(notifications=[Notification.of(m) for m in marked],
                                            user_errors=[AlertUserError.of(e) for e in errors])


def _signed_out() -> AlertUserError:
    return AlertUserError(code=AlertErrorCode.CUSTOMER_REQUIRED, message="send the customer's bearer token",
                          field=None)
