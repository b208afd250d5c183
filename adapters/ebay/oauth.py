"""The OAuth user access token every eBay call carries, as an httpx auth flow on the eBay client.

A user access token lives about two hours. With a refresh token configured, the flow renews it
(`POST /identity/v1/oauth2/token`, `grant_type=refresh_token`, form-encoded, the application's client
id and secret as HTTP Basic) before it expires, by the answer's `expires_in` on the gateway's clock.
One renewal runs at a time: calls that find the token due meanwhile wait for it and use the new one.
A call answered 401 (eBay's errorId 1001: the token was revoked, or expired by eBay's clock) is sent
once more after a renewal, unless another call renewed the token since; a second 401 is an error.
Without a refresh token, the configured access token is sent as it is (a short test setup).

No secret (client secret, refresh token, access token) is logged or put in an error message: the
renewal's form travels in the request body, never in a URL.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncGenerator, Generator, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from adapters.ebay.adapter import NAME, describe_error
from adapters.http import DescribeError
from domain.errors import BackendUnavailable, MalformedPayload
from domain.ports import Clock

TOKEN_PATH = "/identity/v1/oauth2/token"
RENEW_BEFORE = timedelta(minutes=5)  # at most; a tenth of the lifetime of a shorter-lived token


class StaticToken(httpx.Auth):
    """The configured access token, on every call; a 401 is the backend's answer."""

    def __init__(self, access_token: str) -> None:
        self._header = f"Bearer {access_token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class RefreshedToken(httpx.Auth):
    """Access tokens renewed from a refresh token (the module's docstring says when)."""

    def __init__(self, token_url: str, *, client_id: str, client_secret: str, refresh_token: str,
                 scopes: Sequence[str], clock: Clock) -> None:
        self._token_url = token_url
        self._client = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": " ".join(scopes)}
        self._clock = clock
        self._token: str | None = None
        self._renew_at: datetime | None = None
        self._renewing = asyncio.Lock()

    def __repr__(self) -> str:
        return f"RefreshedToken({self._token_url!r})"

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._due():
            async with self._renewing:
                if self._due():  # not renewed by the call this one waited for
                    asked_at = self._clock()
                    await self._take((yield self._renewal()), asked_at)
        sent = self._token
        request.headers["Authorization"] = f"Bearer {sent}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._renewing:
            if self._token == sent:  # no other call has renewed it since this one sent it
                asked_at = self._clock()
                await self._take((yield self._renewal()), asked_at)
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            await response.aread()
            raise BackendUnavailable(NAME, "refused the access token just renewed from backends.ebay.refresh_token "
                                           f"too ({_detail(response, describe_error)})")

    def _due(self) -> bool:
        return self._renew_at is None or self._clock() >= self._renew_at

    def _renewal(self) -> httpx.Request:
        return httpx.Request("POST", self._token_url, data=self._form,
                             headers={"Authorization": self._client, "Accept": "application/json"})

    async def _take(self, answer: httpx.Response, asked_at: datetime) -> None:
        await answer.aread()
        if answer.status_code != 200:
            raise BackendUnavailable(NAME, "refused to renew the access token (check backends.ebay.client_id, "
                                           "client_secret, refresh_token and scopes): "
                                           f"{_detail(answer, _describe_oauth_error)}")
        body = _json(answer)
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(lifetime, int) or lifetime <= 0:
            raise MalformedPayload(NAME, "the token endpoint answered without an access_token and expires_in")
        self._token = token
        self._renew_at = asked_at + timedelta(seconds=lifetime) - min(RENEW_BEFORE, timedelta(seconds=lifetime / 10))


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _detail(response: httpx.Response, describe: DescribeError) -> str:
    said = describe(_json(response))
    return f"HTTP {response.status_code}" + (f": {said}" if said else "")


def _describe_oauth_error(body: Any) -> str | None:
    """RFC 6749's error answer, as eBay's token endpoint gives it: `error` and `error_description`."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    description = body.get("error_description")
    return f"{body['error']}: {description}" if description else body["error"]
