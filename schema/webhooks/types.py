"""Partner webhook endpoints as the API shows them: never a secret, except once in the payload that
made it (webhookCreate, webhookSecretRotate)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import webhooks as domain
from domain.error_codes import WebhookErrorCode
from schema.catalog.enums import ChannelCode
from schema.user_errors import UserError, code_enum

code_enum(WebhookErrorCode)

WebhookEventKind = domain.WebhookEventKind
strawberry.enum(domain.WebhookEventKind, name="WebhookEventKind",
                description="What an endpoint hears of: a SKU's stock, its price, or its product's content.")
WebhookState = domain.EndpointState
strawberry.enum(domain.EndpointState, name="WebhookState",
                description="ACTIVE: receives deliveries; DISABLED: after `webhooks.disable_after` failed attempts "
                            "in a row, until `webhookEnable`.")
WebhookDeliveryState = domain.DeliveryState
strawberry.enum(domain.DeliveryState, name="WebhookDeliveryState")


@strawberry.type(description="Why an endpoint was disabled: when, its last failure, the HTTP status if it answered.")
class WebhookDisabled:
    at: datetime
    reason: str
    last_status: int | None


@strawberry.type(description="A partner's endpoint: the changes of one channel, POSTed signed (README: Partner "
                             "webhooks).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    channel: ChannelCode
    events: list[WebhookEventKind]
    state: WebhookState
    disabled: WebhookDisabled | None = strawberry.field(description="The last time it was disabled (kept after "
                                                                    "it is enabled again); null: never.")
    consecutive_failures: int
    owner_key_id: str = strawberry.field(description="The API key that made it, and manages it.")
    created_at: datetime
    previous_secret_until: datetime | None = strawberry.field(description=(
        "After a rotation: until when the previous secret still signs beside the new one."))

    @classmethod
    def of(cls, e: domain.Endpoint) -> WebhookEndpoint:
        d = e.disabled
        grace = [s.expires_at for s in e.secrets if s.expires_at is not None]
        return cls(id=strawberry.ID(e.endpoint_id), url=e.url, channel=ChannelCode(e.channel),
                   events=sorted(e.events), state=e.state,
                   disabled=WebhookDisabled(at=d.at, reason=d.reason, last_status=d.last_status) if d else None,
                   consecutive_failures=e.consecutive_failures, owner_key_id=e.owner_key_id, created_at=e.created_at,
                   previous_secret_until=max(grace) if grace else None)


@strawberry.type(description="One attempt to deliver: when, the HTTP status (null: no answer), why it failed.")
class WebhookAttempt:
    at: datetime
    status: int | None
    error: str | None


@strawberry.type(description="One message for an endpoint: its `webhook-id`, the body sent, every attempt.")
class WebhookDelivery:
    id: strawberry.ID
    sku: str
    state: WebhookDeliveryState
    body: str
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: list[WebhookAttempt]

    @classmethod
    def of(cls, d: domain.Delivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(d.delivery_id), sku=d.sku, state=d.state, body=d.body.decode(),
                   created_at=d.created_at, next_attempt_at=d.next_at if d.state is domain.DeliveryState.PENDING
                   else None, attempts=[WebhookAttempt(at=a.at, status=a.status, error=a.error) for a in d.attempts])


@strawberry.type(description="Why a webhook mutation changed nothing.")
class WebhookUserError(UserError):
    code: WebhookErrorCode


@strawberry.type
class WebhookPayload:
    webhook: WebhookEndpoint | None
    user_errors: list[WebhookUserError]


@strawberry.type
class WebhookSecretPayload:
    webhook: WebhookEndpoint | None
    secret: str | None = strawberry.field(description="The signing secret (`whsec_…`), shown only here, once.")
    user_errors: list[WebhookUserError]


@strawberry.input
class WebhookCreateInput:
    url: str = strawberry.field(description="https (http only with `webhooks.allow_http`), no credentials.")
    events: list[WebhookEventKind]
    channel: ChannelCode | None = strawberry.field(default=None, description=(
        "Whose figures it receives. Default: the key's bound channel; a `keys:admin` key may choose any "
        "(default: the catalog's default channel)."))
