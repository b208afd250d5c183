"""Partner webhook management: for `keys:admin` keys (every endpoint) and keys with `webhooks:manage`
(their own, for their bound channel). An endpoint the key does not manage is NOT_FOUND."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.error_codes import WebhookErrorCode
from domain.errors import BadUserInput
from resolvers.webhooks import management
from schema.context import ctx
from schema.scopes import needs
from schema.user_errors import field_path, member
from schema.webhooks.types import (
    WebhookCreateInput,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookPayload,
    WebhookSecretPayload,
    WebhookUserError,
)

MANAGES = needs(Scope.WEBHOOKS_MANAGE, Scope.KEYS_ADMIN)


def _errors(outcome: management.Outcome) -> list[WebhookUserError]:
    return [WebhookUserError(code=member(WebhookErrorCode, e.code), message=e.message, field=field_path(e.field))
            for e in outcome.errors]


def _payload(outcome: management.Outcome) -> WebhookPayload:
    return WebhookPayload(webhook=WebhookEndpoint.of(outcome.endpoint) if outcome.endpoint else None,
                          user_errors=_errors(outcome))


def _secret_payload(outcome: management.Outcome) -> WebhookSecretPayload:
    return WebhookSecretPayload(webhook=WebhookEndpoint.of(outcome.endpoint) if outcome.endpoint else None,
                                secret=outcome.secret, user_errors=_errors(outcome))


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The endpoints this key manages (every one for `keys:admin`), oldest first.",
                      extensions=[MANAGES])
    async def webhooks(self, info: Info) -> list[WebhookEndpoint]:
        return [WebhookEndpoint.of(e) for e in await management.endpoints(ctx(info))]

    @strawberry.field(description="An endpoint's latest deliveries, newest first, with every attempt; empty for "
                                  "an endpoint this key does not manage.", extensions=[MANAGES])
    async def webhook_deliveries(self, info: Info, webhook_id: strawberry.ID, first: int = 20) -> list[WebhookDelivery]:
        if not 1 <= first <= 100:
            raise BadUserInput("`first` is 1..100")
        found = await management.deliveries(ctx(info), str(webhook_id), first)
        return [WebhookDelivery.of(d) for d in found or ()]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Registers an endpoint. `secret` in the payload signs its deliveries and is "
                                     "shown only here.", extensions=[MANAGES])
    async def webhook_create(self, info: Info, input: WebhookCreateInput) -> WebhookSecretPayload:
        return _secret_payload(await management.create(ctx(info), input.url, input.channel, list(input.events)))

    @strawberry.mutation(description="Removes an endpoint and its undelivered messages.", extensions=[MANAGES])
    async def webhook_delete(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        return _payload(await management.delete(ctx(info), str(id)))

    @strawberry.mutation(description="A new signing secret, shown only here; the previous one keeps signing beside "
                                     "it for `webhooks.secret_grace_seconds`.", extensions=[MANAGES])
    async def webhook_secret_rotate(self, info: Info, id: strawberry.ID) -> WebhookSecretPayload:
        return _secret_payload(await management.rotate_secret(ctx(info), str(id)))

    @strawberry.mutation(description="Enables a disabled endpoint again: its waiting deliveries go out at the next "
                                     "pass.", extensions=[MANAGES])
    async def webhook_enable(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        return _payload(await management.enable(ctx(info), str(id)))
