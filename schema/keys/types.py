"""API keys as the admin API shows them: never a secret, except once in the payload that made it."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry

from domain import api_keys as domain
from domain.error_codes import KeyErrorCode
from schema.catalog.enums import ChannelCode
from schema.user_errors import UserError, code_enum


KeyKind = domain.KeyKind
strawberry.enum(domain.KeyKind, name="ApiKeyKind")

KeyScope = domain.Scope
strawberry.enum(domain.Scope, name="ApiKeyScope")

code_enum(KeyErrorCode)


@strawberry.enum(name="ApiKeyState")
class KeyState(Enum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


@strawberry.type(name="ApiKey", description="A client API key. Its secret is never shown again after it is made.")
class ApiKey:
    key_id: str = strawberry.field(description="The public part of the key (`cgw_<keyId>_…`), safe to log.")
    name: str
    kind: KeyKind
    channel: ChannelCode | None = strawberry.field(description="The channel the key is bound to; null: any.")
    scopes: list[KeyScope]
    requests_per_minute: int
    cost_per_minute: int
    state: KeyState
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="Recorded at most once a minute.")
    revoked_at: datetime | None
    documents: str | None = strawberry.field(description="Trusted-document list; the key runs only its documents.")
    checkout_channels: list[ChannelCode] = strawberry.field(description=(
        "Where the key may check out: its bound channel, the channels it was given, or its kind's (WEB for "
        "frontend, APP for mobile, all for admin). Reads may ask for any channel unless the key is bound."))

    @classmethod
    def of(cls, key: domain.ApiKey) -> ApiKey:
        state = KeyState.REVOKED if key.revoked_at else (
            KeyState.EXPIRED if key.expires_at and key.expires_at <= datetime.now(UTC) else KeyState.ACTIVE)
        return cls(key_id=key.key_id, name=key.name, kind=key.kind,
                   channel=ChannelCode(key.channel) if key.channel else None,
                   scopes=list(key.scopes), requests_per_minute=key.requests_per_minute,
                   cost_per_minute=key.cost_per_minute, state=state, created_at=key.created_at,
                   expires_at=key.expires_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at,
                   documents=key.documents, checkout_channels=[ChannelCode(c) for c in key.checkout_channels])


@strawberry.type(name="ApiKeyEvent", description="One management action on a key: who did what, when.")
class KeyEvent:
    action: str = strawberry.field(description="created, revoked or rotated.")
    key_id: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, event: domain.KeyEvent) -> KeyEvent:
        return cls(action=event.action, key_id=event.key_id, actor=event.actor, at=event.at)


@strawberry.type(description="Why an API key mutation did nothing.")
class KeyUserError(UserError):
    code: KeyErrorCode


@strawberry.type(name="ApiKeyPayload")
class KeyPayload:
    api_key: ApiKey | None
    user_errors: list[KeyUserError]


@strawberry.type(name="ApiKeySecretPayload")
class KeySecretPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(description="The whole key to send as X-API-Key. Shown only here, once.")
    user_errors: list[KeyUserError]


@strawberry.input(name="ApiKeyCreateInput")
class KeyCreateInput:
    name: str
    kind: KeyKind
    channel: ChannelCode | None = strawberry.field(default=None, description="Bind to a channel; marketplace keys "
                                                                             "always are (MARKETPLACE).")
    scopes: list[KeyScope] | None = strawberry.field(default=None, description="Default: the kind's scopes.")
    expires_in_days: float | None = None
    requests_per_minute: int | None = strawberry.field(default=None, description="Default: by kind.")
    cost_per_minute: int | None = strawberry.field(default=None, description="Default: by kind.")
    documents: str | None = strawberry.field(default=None, description="Run only the documents of this trusted "
                                                                       "list (`commerce-gateway documents push`).")
    checkout_channels: list[ChannelCode] | None = strawberry.field(default=None, description=(
        "Where an unbound key may check out. Default: WEB for frontend, APP for mobile, all for admin."))
