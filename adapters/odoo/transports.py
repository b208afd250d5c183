"""Odoo's two external-API transports behind one call: `call(model, method, **named_args)`.

JSON-2 (Odoo 19+) takes named arguments as the body of `POST /json/2/<model>/<method>`
with a bearer API key. JSON-RPC (Odoo ≤ 18; deprecated in 19) authenticates once
through `common.authenticate` and then sends `object.execute_kw`, where record
methods (`read`) take their ids positionally.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Protocol

from adapters.http import BackendHttp
from domain.errors import BackendError, BackendUnavailable, MalformedPayload

NAME = "odoo"
RECORD_METHODS = frozenset({"read", "write", "unlink"})
# the ORM methods that only read: sent again after a transient failure like a GET (adapters/retries.py)
READ_METHODS = frozenset({"search_read", "read", "search", "search_count", "fields_get", "name_search"})


def describe_json2_error(body: Any) -> str | None:
    return f"{body.get('name')}: {body.get('message')}" if isinstance(body, dict) and "message" in body else None


class OdooTransport(Protocol):
    async def call(self, model: str, method: str, **kwargs: Any) -> Any: ...


class Json2Transport:
    def __init__(self, http: BackendHttp, *, api_key: str, database: str | None) -> None:
        self.http = http
        self.headers = {"Authorization": f"bearer {api_key}"}
        if database:
            self.headers["X-Odoo-Database"] = database

    async def call(self, model: str, method: str, **kwargs: Any) -> Any:
        path = f"/json/2/{model}/{method}"  # model and method are the adapter's own names: a route as it is
        return await self.http.call_json("POST", path, json_body=kwargs, headers=self.headers, route=path,
                                         idempotent=method in READ_METHODS)


class JsonRpcTransport:
    def __init__(self, http: BackendHttp, *, database: str, login: str, api_key: str) -> None:
        self.http = http
        self.database = database
        self.login = login
        self.api_key = api_key
        self._uid: int | None = None
        self._login_lock = asyncio.Lock()
        self._ids = itertools.count(1)

    async def _rpc(self, service: str, method: str, args: list, *, reads: bool = False) -> Any:
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": args}}
        answer = await self.http.call_json("POST", "/jsonrpc", json_body=body, idempotent=reads)
        if not isinstance(answer, dict):
            raise MalformedPayload(NAME, "JSON-RPC answer is not an object")
        if error := answer.get("error"):
            data = error.get("data") or {}
            name, message = data.get("name", ""), data.get("message") or error.get("message")
            if "AccessDenied" in name or "AccessError" in name:
                raise BackendUnavailable(NAME, f"rejected the gateway's credentials ({message})")
            raise BackendError(NAME, f"{name}: {message}")
        if "result" not in answer:
            raise MalformedPayload(NAME, "JSON-RPC answer has neither result nor error")
        return answer["result"]

    async def _authenticate(self) -> int:
        async with self._login_lock:
            if self._uid is None:
                uid = await self._rpc("common", "authenticate", [self.database, self.login, self.api_key, {}],
                                      reads=True)  # repeated, it logs the user in again: no harm
                if not isinstance(uid, int) or isinstance(uid, bool):
                    raise BackendUnavailable(NAME, f"rejected the login {self.login!r} on database {self.database!r}")
                self._uid = uid
            return self._uid

    async def call(self, model: str, method: str, **kwargs: Any) -> Any:
        uid = self._uid if self._uid is not None else await self._authenticate()
        positional = [kwargs.pop("ids")] if method in RECORD_METHODS else []
        return await self._rpc("object", "execute_kw",
                               [self.database, uid, self.api_key, model, method, positional, kwargs],
                               reads=method in READ_METHODS)
