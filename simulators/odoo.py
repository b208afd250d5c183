"""The ERP: Odoo's external API over both transports one installation may offer.

- JSON-2 (Odoo 19+): `POST /json/2/<model>/<method>`, `Authorization: bearer <API key>`,
  named arguments in the body, the result as the body; errors as HTTP 4xx/5xx with
  `{name, message, arguments, context, debug}`. A wrong, revoked or expired key is a 401
  ("Invalid apikey": Odoo does not say which); an unknown database (`X-Odoo-Database`) a 404
  HTML page.
- JSON-RPC (every version; deprecated in 19): `POST /jsonrpc`, `common.authenticate` then
  `object.execute_kw` with positional arguments; errors inside a 200 response as
  `{"error": {...}}`. As Odoo's `call_kw`, a record method takes its ids as the first positional
  argument and `create` its values (`[vals]` answers an id, `[[vals]]` a list): without them it
  fails with IndexError, after `create` ran (and was rolled back, its sequence numbers spent).

Methods: search, search_read, search_count, read, create, write,
stock.quant's action_apply_inventory and sale.order's action_confirm. Domains support the
prefix operators `&`, `|`, `!`, dotted many2one and one2many paths
(`product_variant_ids.default_code`), and the usual comparisons; archived records (`active`
False) are left out unless the domain names `active` or the context says `active_test: False`,
as in Odoo. Datetimes compare as the version does (odoo_models.Registry). Searches go by indexes,
so they answer as fast at 100,000 products as at 1,000 (odoo_domains.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import Catalog
from simulators.instruments import Instruments, instrumented_app
from simulators.odoo_domains import DomainEvaluator
from simulators.odoo_models import PRODUCT_AND_STOCK_MODELS, Model, OdooError, Registry
from simulators.odoo_pricelists import MODELS as PRICELIST_MODELS
from simulators.odoo_sales import SALES_MODELS

SERVER_VERSION = "19.0"
ADDONS = frozenset({"product_brand"})  # the demo's installation has the OCA brand add-on
UID = 2
ALL_FIELDS_LIMIT = 12  # fields returned when a caller names none


def json2_error(status: int, name: str = "werkzeug.exceptions.InternalServerError",
                message: str = "Internal Server Error") -> dict:
    if status == 503:
        name, message = "werkzeug.exceptions.ServiceUnavailable", "Service Unavailable"
    return {"name": name, "message": message, "arguments": [message], "context": {}, "debug": ""}


class OdooService:
    """The ORM methods both transports dispatch to."""

    RECORD_ACTIONS = frozenset({"action_apply_inventory", "action_confirm"})

    def __init__(self, catalog: Catalog, instruments: Instruments, version: str, addons: frozenset[str],
                 indexed: bool = True) -> None:
        self.registry = Registry(catalog, PRODUCT_AND_STOCK_MODELS + PRICELIST_MODELS + SALES_MODELS, version, addons,
                                 indexed)
        self.instruments = instruments

    def call(self, model_name: str, method: str, kwargs: dict) -> object:
        self.instruments.record(f"rpc {model_name}.{method}")
        model = self.registry.model(model_name)
        context = kwargs.get("context") or {}
        if method == "search_read":
            ids = self._search(model, kwargs, context)
            return [self._read_one(model, i, kwargs.get("fields"), context) for i in ids]
        if method == "search":
            return self._search(model, kwargs, context)
        if method == "search_count":
            return DomainEvaluator(self.registry, model, context).count(kwargs.get("domain", []))
        if method == "read":
            ids = kwargs.get("ids", [])
            return [self._read_one(model, i, kwargs.get("fields"), context) for i in ids if model.exists(i)]
        if method == "create" and hasattr(model, "create"):
            vals = kwargs.get("vals_list", kwargs.get("vals"))
            many = isinstance(vals, list)
            created = [model.create(v, context) for v in (vals if isinstance(vals, list) else [vals])]
            return created if many else created[0]
        if method == "write" and hasattr(model, "write"):
            return model.write(kwargs.get("ids"), kwargs.get("vals"))
        if method in self.RECORD_ACTIONS and hasattr(model, method):
            return getattr(model, method)(kwargs.get("ids"))
        raise OdooError("AttributeError", f"The method '{method}' does not exist on the model '{model_name}'",
                        status=404)

    def _search(self, model: Model, kwargs: dict, context: dict) -> list[int]:
        limit = kwargs.get("limit")
        return DomainEvaluator(self.registry, model, context).select(
            kwargs.get("domain", []), kwargs.get("order") or "id", int(kwargs.get("offset") or 0),
            int(limit) if limit else None)

    def rollback_create(self, model_name: str, created: object) -> None:
        """Undoes a `create` whose call failed after it ran; the ids and numbers it took stay spent."""
        model = self.registry.model(model_name)
        for record_id in created if isinstance(created, list) else [created]:
            model.discard(record_id)  # type: ignore[attr-defined]

    def _read_one(self, model: Model, record_id: int, fields: list | None, context: dict) -> dict:
        names = fields or model.field_names()[:ALL_FIELDS_LIMIT]
        record = {name: model.value(record_id, name, context) for name in names}
        record["id"] = record_id
        return record


POSITIONAL = {  # the positional arguments of execute_kw, by method; the first two need theirs
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search": ("domain", "offset", "limit", "order"),
    "search_count": ("domain",),
    "read": ("ids", "fields"),
    "create": ("vals_list",),
    "write": ("ids", "vals"),
    "action_apply_inventory": ("ids",),
    "action_confirm": ("ids",),
}
NEEDS_FIRST_ARGUMENT = frozenset({"read", "create", "write", "action_apply_inventory", "action_confirm"})
NOT_FOUND_PAGE = ("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
                  "<p>The requested URL was not found on the server. If you entered the URL manually please check "
                  "your spelling and try again.</p>\n")


def create_app(catalog: Catalog, database: str = "demo", login: str = "gateway@example.com",
               api_key: str = "odoo-demo-key", *, version: str = SERVER_VERSION, addons: frozenset[str] = ADDONS,
               api_key_expires_at: datetime | None = None) -> Starlette:
    """An Odoo of `version` ("17.0", "18.0", "19.0": JSON-2 from 19 on) with `addons` installed; its
    API key works until `api_key_expires_at` (by the catalog's clock), as Odoo 19's keys expire."""
    instruments = Instruments()
    service = OdooService(catalog, instruments, version, addons)

    def key_works(key: object) -> bool:
        return key == api_key and (api_key_expires_at is None or catalog.clock() <= api_key_expires_at)

    async def json2(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if request.headers.get("x-odoo-database", database) != database:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        if scheme.lower() != "bearer" or not key_works(token):
            return JSONResponse(json2_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey"), status_code=401,
                                headers={"WWW-Authenticate": "bearer"})
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return JSONResponse(json2_error(400, "werkzeug.exceptions.BadRequest", "Invalid JSON body"),
                                status_code=400)
        if not isinstance(body, dict):
            return JSONResponse(json2_error(422, "TypeError", "The body must be a JSON object of named arguments"),
                                status_code=422)
        try:
            result = service.call(request.path_params["model"], request.path_params["method"], body)
        except OdooError as exc:
            return JSONResponse(json2_error(exc.status, exc.name, exc.message), status_code=exc.status)
        return JSONResponse(result)

    def rpc_error(request_id: object, name: str, message: str) -> Response:
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": {
            "code": 200, "message": "Odoo Server Error",
            "data": {"name": name, "debug": "", "message": message, "arguments": [message], "context": {}}}})

    def no_database(request_id: object, name: object) -> Response:
        return rpc_error(request_id, "psycopg2.OperationalError", 'connection to server on socket '
                         f'"/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "{name}" does not exist')

    def execute_kw(request_id: object, model: str, method: str, positional: object, keywords: object) -> Response:
        kwargs = dict(keywords) if isinstance(keywords, dict) else {}
        args = positional if isinstance(positional, list) else []
        for name, value in zip(POSITIONAL.get(method, ()), args, strict=False):
            kwargs.setdefault(name, value)
        try:
            result = service.call(model, method, kwargs)
        except OdooError as exc:
            return rpc_error(request_id, exc.name, exc.message)
        if method in NEEDS_FIRST_ARGUMENT and not args:
            # call_kw reads args[0] after the call (create: to answer an id or a list): the call ran,
            # its transaction is rolled back
            if method == "create":
                service.rollback_create(model, result)
            return rpc_error(request_id, "builtins.IndexError", "list index out of range")
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, "result": result})

    async def jsonrpc(request: Request) -> Response:
        try:
            body = await request.json()
            params = body["params"]
            service_name, method, args = params["service"], params["method"], params.get("args", [])
        except (json.JSONDecodeError, KeyError, TypeError):
            return rpc_error(None, "werkzeug.exceptions.BadRequest", "Invalid JSON-RPC request")
        request_id = body.get("id")
        if service_name == "common" and method == "version":
            return JSONResponse({"jsonrpc": "2.0", "id": request_id, "result": {
                "server_version": version, "server_serie": version, "protocol_version": 1}})
        if service_name == "common" and method in ("authenticate", "login"):
            if args and args[0] != database:
                return no_database(request_id, args[0])
            ok = len(args) >= 3 and args[1] == login and key_works(args[2])
            return JSONResponse({"jsonrpc": "2.0", "id": request_id, "result": UID if ok else False})
        if service_name != "object" or method != "execute_kw" or len(args) < 6:
            return rpc_error(request_id, "werkzeug.exceptions.NotFound", f"{service_name}.{method} is not supported")
        db, uid, password, model, model_method, positional = args[:6]
        if db != database:
            return no_database(request_id, db)
        if uid != UID or not key_works(password):
            return rpc_error(request_id, "odoo.exceptions.AccessDenied", "Access Denied")
        return execute_kw(request_id, model, model_method, positional, args[6] if len(args) > 6 else None)

    async def web_version(_: Request) -> Response:
        return JSONResponse({"version": version})

    routes = [
        Route("/jsonrpc", jsonrpc, methods=["POST"]),
        Route("/web/version", web_version, methods=["GET"]),
    ]
    if service.registry.whole_seconds:  # JSON-2 came with Odoo 19
        routes.insert(0, Route("/json/2/{model}/{method}", json2, methods=["POST"]))
    return instrumented_app(routes, instruments, json2_error)
