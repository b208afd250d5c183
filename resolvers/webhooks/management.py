"""Managing partner webhook endpoints. A `keys:admin` key manages every endpoint, for any channel; any
other key (a marketplace key: `webhooks:manage`) only its own, for the channel it is bound to. An
endpoint the key may not manage is answered as not found, exactly as one that does not exist."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from domain.api_keys import ApiKey, Scope
from domain.carts import UserError
from domain.channels import Channel
from domain.webhooks import (
    SECRET_PREFIX,
    Delivery,
    Endpoint,
    EndpointState,
    Secret,
    WebhookEventKind,
    url_problem,
)
from resolvers.context import RequestContext
from resolvers.webhooks.services import WebhookServices

NOT_FOUND = UserError("NOT_FOUND", "no webhook endpoint with this ID", ("id",))
SECRET_BYTES = 24


@dataclass(frozen=True, slots=True)
class Outcome:
    endpoint: Endpoint | None = None
    secret: str | None = None  # a new signing secret, shown once
    errors: tuple[UserError, ...] = field(default_factory=tuple)


def _refused(error: UserError) -> Outcome:
    return Outcome(errors=(error,))


def hooks_of(ctx: RequestContext) -> WebhookServices:
    if ctx.services.webhooks is None:
        raise RuntimeError("this gateway runs without partner webhooks")
    return ctx.services.webhooks


def _key(ctx: RequestContext) -> ApiKey:
    if ctx.api_key is None:  # the fields need a scope, which only a key brings
        raise RuntimeError("webhook management without an API key")
    return ctx.api_key


def _admin(ctx: RequestContext) -> bool:
    return Scope.KEYS_ADMIN in ctx.scopes


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


async def endpoints(ctx: RequestContext) -> list[Endpoint]:
    store = hooks_of(ctx).endpoints
    return await store.all() if _admin(ctx) else [e for e in await store.all(_key(ctx).key_id) if _manages(ctx, e)]


async def endpoint(ctx: RequestContext, endpoint_id: str) -> Endpoint | None:
    """The endpoint, if the key manages it."""
    found = await hooks_of(ctx).endpoints.get(endpoint_id)
    return found if found is not None and _manages(ctx, found) else None


def _manages(ctx: RequestContext, found: Endpoint) -> bool:
    key = _key(ctx)
    return _admin(ctx) or (found.owner_key_id == key.key_id and found.channel == key.channel)


async def create(ctx: RequestContext, url: str, channel: Channel | None,
                 events: list[WebhookEventKind]) -> Outcome:
    hooks, key = hooks_of(ctx), _key(ctx)
    rules = hooks.rules
    if (problem := url_problem(url, rules.allow_http)) is not None:
        return _refused(UserError("INVALID_URL", problem, ("input", "url")))
    if not events:
        return _refused(UserError("INVALID_EVENTS", "give at least one event kind", ("input", "events")))
    if WebhookEventKind.STOCK in events and Scope.STOCK_READ not in ctx.scopes:  # quantities only to who may read them
        return _refused(UserError("INVALID_EVENTS", "STOCK events need the scope stock:read", ("input", "events")))
    if _admin(ctx):
        chosen = (channel or ctx.catalog_rules.default_channel).value
    elif key.channel is None or (channel is not None and channel.value != key.channel):
        return _refused(UserError("CHANNEL_NOT_ALLOWED", f"this API key manages endpoints for "
                                  f"{key.channel or 'no channel'} only", ("input", "channel")))
    else:
        chosen = key.channel
    if await hooks.endpoints.count(key.key_id) >= rules.max_endpoints_per_key:
        return _refused(UserError("TOO_MANY_ENDPOINTS", f"an API key has at most {rules.max_endpoints_per_key} "
                                  "webhook endpoints"))
    now, secret = ctx.services.clock(), _new_secret()
    made = Endpoint(endpoint_id="wh_" + secrets.token_hex(8), url=url, channel=chosen, events=frozenset(events),
                    owner_key_id=key.key_id, secrets=(Secret(secret, now),), created_at=now)
    await hooks.endpoints.insert(made)
    return Outcome(made, secret)


async def delete(ctx: RequestContext, endpoint_id: str) -> Outcome:
    hooks = hooks_of(ctx)
    found = await endpoint(ctx, endpoint_id)
    if found is None or not await hooks.endpoints.delete(endpoint_id):
        return _refused(NOT_FOUND)
    await hooks.deliveries.forget_endpoint(endpoint_id)
    return Outcome(found)


async def rotate_secret(ctx: RequestContext, endpoint_id: str) -> Outcome:
    """A new secret; those in use sign alongside it until `webhooks.secret_grace_seconds` from now."""
    hooks = hooks_of(ctx)
    found = await endpoint(ctx, endpoint_id)
    if found is None:
        return _refused(NOT_FOUND)
    now, secret = ctx.services.clock(), _new_secret()
    until = now + hooks.rules.secret_grace
    kept = [Secret(s.value, s.created_at, until if s.expires_at is None else min(s.expires_at, until))
            for s in found.secrets if s.expires_at is None or s.expires_at > now]
    rotated = await hooks.endpoints.set_secrets(endpoint_id, [Secret(secret, now), *kept])
    return Outcome(rotated, secret) if rotated is not None else _refused(NOT_FOUND)


async def enable(ctx: RequestContext, endpoint_id: str) -> Outcome:
    hooks = hooks_of(ctx)
    found = await endpoint(ctx, endpoint_id)
    if found is None:
        return _refused(NOT_FOUND)
    if found.state is EndpointState.ACTIVE:
        return _refused(UserError("NOT_DISABLED", "the endpoint is active", ("id",)))
    enabled = await hooks.endpoints.enable(endpoint_id)
    return Outcome(enabled) if enabled is not None else _refused(NOT_FOUND)


async def deliveries(ctx: RequestContext, endpoint_id: str, first: int) -> list[Delivery] | None:
    """The endpoint's latest deliveries, newest first; None when the key does not manage it."""
    if await endpoint(ctx, endpoint_id) is None:
        return None
    return await hooks_of(ctx).deliveries.of_endpoint(endpoint_id, first)
