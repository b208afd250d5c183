"""Key management for keys with the `keys:admin` scope: the same actions as `commerce-gateway keys`,
recorded with the acting key as the actor."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from domain import api_keys as domain
from domain.api_keys import Scope
from domain.error_codes import KeyErrorCode
from domain.errors import BadUserInput
from resolvers import api_keys
from schema.context import ctx
from schema.keys.types import ApiKey, KeyCreateInput, KeyEvent, KeyPayload, KeySecretPayload, KeyUserError
from schema.scopes import needs


def _user_error(error: BadUserInput) -> list[KeyUserError]:
    return [KeyUserError(code=KeyErrorCode.KEY_NOT_FOUND if isinstance(error, api_keys.UnknownKey)
                         else KeyErrorCode.INVALID_INPUT, message=str(error), field=None)]


async def _with_secret(work: Awaitable[tuple[domain.ApiKey, str]]) -> KeySecretPayload:
    try:
        key, secret = await work
    except BadUserInput as exc:
        return KeySecretPayload(api_key=None, secret=None, user_errors=_user_error(exc))
    return KeySecretPayload(api_key=ApiKey.of(key), secret=secret, user_errors=[])


@strawberry.type
class KeyQuery:
    @strawberry.field(description="Every API key, oldest first, without secrets.",
                      extensions=[needs(Scope.KEYS_ADMIN)])
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.of(k) for k in await ctx(info).key_store.all()]

    @strawberry.field(description="Key management actions, newest first; of one key when `keyId` is given.",
                      extensions=[needs(Scope.KEYS_ADMIN)])
    async def api_key_events(self, info: Info, key_id: str | None = None, first: int = 50) -> list[KeyEvent]:
        if not 1 <= first <= 100:
            raise BadUserInput("`first` is 1..100")
        return [KeyEvent.of(e) for e in await ctx(info).key_store.events(key_id, first)]


@strawberry.type
class KeyMutation:
    @strawberry.mutation(description="Issues a key. `secret` in the payload is the whole key, shown only here.",
                         extensions=[needs(Scope.KEYS_ADMIN)])
    async def api_key_create(self, info: Info, input: KeyCreateInput) -> KeySecretPayload:
        spec = api_keys.KeySpec(
            name=input.name, kind=input.kind, channel=input.channel, scopes=tuple(input.scopes or ()),
            expires_in_days=input.expires_in_days,
            requests_per_minute=input.requests_per_minute, cost_per_minute=input.cost_per_minute,
            documents=input.documents, channels=tuple(input.checkout_channels or ()))
        return await _with_secret(api_keys.issue(ctx(info).key_store, spec, ctx(info).actor))

    @strawberry.mutation(description="Gives the key a new secret; the old one stops working.",
                         extensions=[needs(Scope.KEYS_ADMIN)])
    async def api_key_rotate(self, info: Info, key_id: str) -> KeySecretPayload:
        return await _with_secret(api_keys.rotate(ctx(info).key_store, key_id, ctx(info).actor))

    @strawberry.mutation(description="Stops the key for good (within `auth.key_cache_seconds` in every process).",
                         extensions=[needs(Scope.KEYS_ADMIN)])
    async def api_key_revoke(self, info: Info, key_id: str) -> KeyPayload:
        try:
            key = await api_keys.revoke(ctx(info).key_store, key_id, ctx(info).actor)
        except BadUserInput as exc:
            return KeyPayload(api_key=None, user_errors=_user_error(exc))
        return KeyPayload(api_key=ApiKey.of(key), user_errors=[])
