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
as in Odoo. Datetimes compare as the version does (odoo_models.Registry).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import Catalog
from simulators.instruments import Instruments, instrumented_app
from simulators.odoo_models import PRODUCT_AND_STOCK_MODELS, Model, OdooError, Registry, domain_datetime
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


def like(pattern: str, text: str, case_sensitive: bool) -> bool:
    """PostgreSQL's LIKE (ILIKE when not `case_sensitive`) with its default escape, the backslash."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.fullmatch("".join(parts), text, flags) is not None


class DomainEvaluator:
    """Evaluates an Odoo domain against one model of the registry."""

    OPERATORS = {"=", "!=", "in", "not in", "ilike", "not ilike", "like", "=like", "=ilike", ">", ">=", "<", "<=",
                 "child_of", "parent_of"}

    def __init__(self, registry: Registry, model: Model, context: dict) -> None:
        self.registry = registry
        self.model = model
        self.context = context

    def search(self, domain: list) -> Iterable[int]:
        terms = self._validate(domain)
        if self._hides_archived(terms):
            terms = [*terms, ["active", "=", True]]  # implicitly AND-ed with the rest
        floor = written_from(terms)
        written = self.model.written_since(floor) if floor else None
        ids = [i for i in written if self.model.exists(i)] if written is not None else None  # a deleted one: gone
        if ids is None:
            ids = self._narrow(terms)
        candidates = ids if ids is not None else self.model.all_ids()
        return (i for i in candidates if self._matches(i, terms))

    def _hides_archived(self, terms: list) -> bool:
        if self.context.get("active_test", True) is False or not self.model.has_field("active"):
            return False
        return not any(isinstance(t, list | tuple) and t[0] == "active" for t in terms)

    def _validate(self, domain: object) -> list:
        if not isinstance(domain, list):
            raise OdooError("ValueError", f"Invalid domain: {domain!r}")
        for term in domain:
            if isinstance(term, str):
                if term not in ("&", "|", "!"):
                    raise OdooError("ValueError", f"Invalid domain operator {term!r}")
            elif not (isinstance(term, list | tuple) and len(term) == 3 and term[1] in self.OPERATORS):
                raise OdooError("ValueError", f"Invalid domain term {term!r}")
        return domain

    def _narrow(self, terms: list) -> list[int] | None:
        """Ids that can match, to avoid a full scan: those of the first AND-ed part that is an indexed
        term, or an OR of indexed terms (their union), as a database's indexes would."""
        def parse(i: int) -> tuple[set[int] | None, int]:
            term = terms[i]
            if term in ("&", "|"):
                left, j = parse(i + 1)
                right, k = parse(j)
                if term == "&":
                    return (left if left is not None else right), k
                return (left | right if left is not None and right is not None else None), k
            if term == "!":
                return None, parse(i + 1)[1]
            field, op, value = term
            values = value if isinstance(value, list) else [value]
            if "." in field or op not in ("=", "in") or (False in values and field not in self.model.indexes_false):
                return None, i + 1
            found = self.model.candidates(field, values)
            return (set(found) if found is not None else None), i + 1

        i = 0
        while i < len(terms):
            found, i = parse(i)
            if found is not None:
                return sorted(found)
        return None

    def _matches(self, record_id: int, terms: list) -> bool:
        stack: list[bool] = []
        for term in reversed(terms):
            if term == "!":
                stack.append(not stack.pop())
            elif term == "&":
                stack.append(stack.pop() & stack.pop())
            elif term == "|":
                stack.append(stack.pop() | stack.pop())
            else:
                stack.append(self._term(record_id, *term))
        return all(stack)

    def _resolve(self, model: Model, record_id: int, path: str) -> object:
        head, _, rest = path.partition(".")
        value = model.value(record_id, head, self.context)
        if not rest:
            return value
        related = model.relations.get(head)
        if related is None or not value or not isinstance(value, list):
            raise OdooError("ValueError", f"Invalid path {path!r} on model {model.name}")
        return self._resolve(self.registry.model(related), value[0], rest)

    def _term(self, record_id: int, field: str, op: str, expected: object, model: Model | None = None) -> bool:
        model = model or self.model
        head, _, rest = field.partition(".")
        if rest and head in model.x2many:
            # a path through a one2many holds when it holds for one of the records listed, as in Odoo
            related = self.registry.model(model.x2many[head])
            listed = model.value(record_id, head, self.context)
            return any(self._term(i, rest, op, expected, related) for i in listed)  # type: ignore[attr-defined]
        if not rest and model.is_datetime(field) and "like" not in op:
            return self._datetime_term(model, record_id, field, op, expected)
        actual = self._resolve(model, record_id, field)
        if _is_many2one(actual):
            # a many2one matches by id, and by display name for the like-operators, as in Odoo
            actual = actual[1] if "like" in op else actual[0]  # type: ignore[index]
        if op == "=":
            return actual == expected
        if op == "!=":
            return actual != expected
        if op in ("in", "child_of"):
            return actual in (expected if isinstance(expected, list) else [expected])
        if op == "parent_of":  # the record is one of the values or an ancestor of one (`parent_path`)
            related = self.registry.model(model.relations[field])
            values = [v for v in (expected if isinstance(expected, list) else [expected]) if isinstance(v, int)]
            return actual in {int(a) for v in values if related.exists(v)
                              for a in str(related.value(v, "parent_path", {})).split("/") if a}
        if op == "not in":
            return actual not in expected  # type: ignore[operator]
        if "like" in op:
            # as PostgreSQL: `%` and `_` are wildcards, a backslash escapes; `like`/`ilike` look for the
            # pattern anywhere (Odoo wraps it in `%`), `=like`/`=ilike` match it whole
            pattern = str(expected) if op.startswith("=") else f"%{expected}%"
            hit = isinstance(actual, str) and like(pattern, actual, case_sensitive="ilike" not in op)
            return not hit if op.startswith("not") else hit
        if actual is False or actual is None:
            return False
        return {">": actual > expected, ">=": actual >= expected,  # type: ignore[operator]
                "<": actual < expected, "<=": actual <= expected}[op]  # type: ignore[operator]


    def _datetime_term(self, model: Model, record_id: int, field: str, op: str, expected: object) -> bool:
        """Odoo 19 compares a datetime to the second it reads back as (`=` and `>=` find the record
        just read, `>` means from the next second on); older versions compare the stored value, to
        the microsecond, with the value given."""
        actual = model.stored_datetime(record_id, field)
        if actual is not None and self.registry.whole_seconds:
            actual = actual.replace(microsecond=0)
        if op in ("in", "not in"):
            values = [domain_datetime(v) for v in (expected if isinstance(expected, list) else [expected])]
            return (actual in values) == (op == "in")
        wanted = domain_datetime(expected)
        if op in ("=", "!="):
            return (actual == wanted) == (op == "=")
        if actual is None or wanted is None:
            return False
        return {">": actual > wanted, ">=": actual >= wanted, "<": actual < wanted, "<=": actual <= wanted}[op]


class OdooService:
    """The ORM methods both transports dispatch to."""

    RECORD_ACTIONS = frozenset({"action_apply_inventory", "action_confirm"})

    def __init__(self, catalog: Catalog, instruments: Instruments, version: str, addons: frozenset[str]) -> None:
        self.registry = Registry(catalog, PRODUCT_AND_STOCK_MODELS + PRICELIST_MODELS + SALES_MODELS, version, addons)
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
            return sum(1 for _ in DomainEvaluator(self.registry, model, context).search(kwargs.get("domain", [])))
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
        ids = list(DomainEvaluator(self.registry, model, context).search(kwargs.get("domain", [])))
        order = kwargs.get("order") or "id"
        for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
            field, _, direction = clause.partition(" ")
            ids.sort(key=functools.partial(_sort_key_of, model, field, context),
                     reverse=direction.strip().lower() == "desc")
        offset = int(kwargs.get("offset") or 0)
        limit = kwargs.get("limit")
        return ids[offset: offset + int(limit)] if limit else ids[offset:]

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


def written_from(terms: list) -> str | None:
    """The earliest `write_date` a record matching the (prefix-notation) domain can have, if the
    domain bounds it: the index real Odoo's database would use, so change queries stay cheap."""
    def parse(i: int) -> tuple[str | None, int]:
        term = terms[i]
        if term in ("&", "|"):
            left, j = parse(i + 1)
            right, k = parse(j)
            if term == "&":
                return max((b for b in (left, right) if b), default=None), k
            return (min(left, right) if left and right else None), k
        if term == "!":
            return None, parse(i + 1)[1]
        field, op, value = term
        return (value if field == "write_date" and op in (">", ">=", "=") and isinstance(value, str) else None), i + 1

    bounds, i = [], 0
    while i < len(terms):
        bound, i = parse(i)
        bounds.append(bound)
    return max((b for b in bounds if b), default=None)


def _is_many2one(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)


def _sort_key_of(model: Model, field: str, context: dict, record_id: int) -> tuple:
    if model.is_datetime(field):  # as the database orders them: by the stored value, unset last
        stored = model.stored_datetime(record_id, field)
        return stored is None, stored or datetime.min
    return _sort_key(model.value(record_id, field, context))


def _sort_key(value: object) -> tuple:
    if isinstance(value, list):
        value = value[1]
    return (value is False, value if value is not False else 0)


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
