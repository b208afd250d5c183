"""Odoo's two external-API transports behind one call: `call(model, method, **named_args)`.

JSON-2 (Odoo 19+) takes named arguments as the body of `POST /json/2/<model>/<method>`
with a bearer API key. JSON-RPC (every version; the only one of Odoo ≤ 18) authenticates once
through `common.authenticate` and then sends `object.execute_kw`, whose `call_kw` reads the
first positional argument itself: a record method's ids, `create`'s values (`[vals_list]`
answers a list of ids). Given as a keyword instead, the call fails with IndexError, after
`create` ran and spent an order number.

Credentials and the database are reported as the settings to change: Odoo answers a wrong,
revoked or expired key alike (JSON-2: 401 "Invalid apikey"; JSON-RPC: `authenticate` answers
False, `execute_kw` AccessDenied inside a 200), and an unknown database with a 404 HTML page
(JSON-2) or PostgreSQL's "database … does not exist" (JSON-RPC).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Protocol

import httpx

from adapters.http import BackendHttp
from domain.errors import BackendError, BackendUnavailable, MalformedPayload

NAME = "odoo"
REFUSED_KEY = ("it is wrong, revoked or expired (an Odoo 19 API key expires: make a new one in Odoo under "
               "Preferences > Account Security > New API Key and set backends.odoo.api_key)")
# the ORM methods that only read: sent again after a transient failure like a GET (adapters/retries.py)
READ_METHODS = frozenset({"search_read", "read", "search", "search_count", "fields_get", "name_search"})


def describe_json2_error(body: Any) -> str | None:
    return f"{body.get('name')}: {body.get('message')}" if isinstance(body, dict) and "message" in body else None


def unknown_database(database: str | None) -> BackendUnavailable:
    return BackendUnavailable(NAME, f"has no database {database!r}: set backends.odoo.database to one of its databases")


class OdooTransport(Protocol):
    async def call(self, model: str, method: str, **kwargs: Any) -> Any: ...


class Json2Transport:
    def __init__(self, http: BackendHttp, *, api_key: str, database: str | None) -> None:
        self.http = http
        self.database = database
        self.headers = {"Authorization": f"bearer {api_key}"}
        if database:
            self.headers["X-Odoo-Database"] = database

    def _explain(self, response: httpx.Response) -> BackendError | None:
        if response.status_code == 401:
            return BackendUnavailable(NAME, f"refused the API key (HTTP 401): {REFUSED_KEY}")
        if response.status_code == 404 and not _json_body(response):
            return unknown_database(self.database)  # Odoo's HTML "Not Found" page: no such database
        return None

    async def call(self, model: str, method: str, **kwargs: Any) -> Any:
        path = f"/json/2/{model}/{method}"  # model and method are the adapter's own names: a route as it is
        return await self.http.call_json("POST", path, json_body=kwargs, headers=self.headers, route=path,
                                         idempotent=method in READ_METHODS, explain=self._explain)


def _json_body(response: httpx.Response) -> bool:
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


class JsonRpcTransport:
    def __init__(self, http: BackendHttp, *, database: str, login: str, api_key: str) -> None:
        self.http = http
        self.database = database
        self.login = login
        self.api_key = api_key
        self._uid: int | None = None
        self._login_lock = asyncio.Lock()
        self._ids = itertools.count(1)

    def _refused(self) -> BackendUnavailable:
        return BackendUnavailable(NAME, f"refused the login {self.login!r} (backends.odoo.login) on database "
                                        f"{self.database!r} with the configured API key: {REFUSED_KEY}")

    async def _rpc(self, service: str, method: str, args: list, *, reads: bool = False) -> Any:
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": args}}
        answer = await self.http.call_json("POST", "/jsonrpc", json_body=body, idempotent=reads)
        if not isinstance(answer, dict):
            raise MalformedPayload(NAME, "JSON-RPC answer is not an object")
        if error := answer.get("error"):
            data = error.get("data") or {}
            name, message = str(data.get("name", "")), str(data.get("message") or error.get("message"))
            if name.endswith("AccessDenied"):
                self._uid = None  # the key was revoked or expired since the login: log in again next time
                raise self._refused()
            if "database" in message and "does not exist" in message:
                raise unknown_database(self.database)
            if name.endswith("AccessError"):
                raise BackendUnavailable(NAME, f"the login {self.login!r} lacks an access right ({message})")
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
                    raise self._refused()
                self._uid = uid
            return self._uid

    async def call(self, model: str, method: str, **kwargs: Any) -> Any:
        uid = self._uid if self._uid is not None else await self._authenticate()
        if "ids" in kwargs:
            positional = [kwargs.pop("ids")]
        elif method == "create":
            positional = [kwargs.pop("vals_list")]
        else:
            positional = []
        return await self._rpc("object", "execute_kw",
                               [self.database, uid, self.api_key, model, method, positional, kwargs],
                               reads=method in READ_METHODS)
