"""The GraphQL endpoint: admits each request by its API key, builds its context, and formats every
error and the key's budget figures the same way."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import timedelta
from typing import Any

import orjson
from graphql import GraphQLError
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from domain.api_keys import ApiKey
from domain.channels import Channel
from domain.errors import (
    BadUserInput,
    DocumentNotTrusted,
    DomainError,
    Forbidden,
    PersistedQueryNotFound,
    RateLimited,
    Unauthenticated,
)
from gateway.access import API_KEY_HEADER, Admitted, Gatekeeper, Refused, bound_channel, may_introspect
from gateway.answer_cache import encode_spliced
from gateway.budgets import Decision
from gateway.graphiql import graphiql_files
from gateway.http_caching import VARY, cache_control, etag_of, is_shared, not_modified
from gateway.identity import customer_from_header, verification_key
from gateway.live_socket import LiveSocketHandler, SizedWebSocketAdapter, Sockets, key_of
from gateway.persisted import BadPersistedQuery, PersistedDocuments, requested_hash, sha256_of
from gateway.settings import AuthSettings, CacheSettings
from gateway.shared_answers import SharedAnswers, asks_fresh
from gateway.subscription_settings import SubscriptionSettings
from resolvers.context import RequestContext, Services
from schema.errors import domain_error_dict, format_error

CHANNEL_HEADER = "x-channel"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8"
SUBSCRIPTIONS_OVER_HTTP = ("Subscriptions are served over WebSocket only: connect to this endpoint with the "
                           "graphql-transport-ws subprotocol (README: Subscriptions).")


def prefers_graphql_response_json(accept: str) -> bool:
    """GraphQL over HTTP: answer in application/graphql-response+json when the client ranks it at
    least as high as application/json (which stays the answer for clients that do not ask)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            weights[media.lower()] = float(q)
        except ValueError:
            continue
    ours = weights.get("application/graphql-response+json", 0.0)
    return ours > 0 and ours >= weights.get("application/json", 0.0)


def encode_body(data: object) -> bytes | str:
    """An answer as compact JSON, by orjson (several times faster than json.dumps on a listing:
    bench/listing.py). Answers hold plain values only, as the executor has serialized every scalar
    (money as a decimal string, times as ISO 8601), so the values are the ones json.dumps wrote;
    text outside ASCII goes as UTF-8 instead of \\u escapes. What orjson refuses (a lone surrogate
    from a client's input, an integer beyond 64 bits) is written by json.dumps, as before."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":"))


def refusal(error: DomainError) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(str(error), original_error=error)])


def rate_limit_headers(key_requests: Decision, cost: Decision | None) -> dict[str, str]:
    """RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers): one policy for
    requests and one for cost points, both per minute, continuously refilled."""
    policies = [f'"requests";q={key_requests.limit};w=60']
    current = [f'"requests";r={key_requests.remaining};t={key_requests.reset_seconds}']
    if cost is not None:
        policies.append(f'"cost";q={cost.limit};w=60')
        current.append(f'"cost";r={cost.remaining};t={cost.reset_seconds}')
    return {"RateLimit-Policy": ", ".join(policies), "RateLimit": ", ".join(current)}


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """The /graphql endpoint of one gateway process, built by its lifespan with everything it
    uses: the services requests resolve with, the gatekeeper that admits them, the persisted
    documents and, unless they are off, the answers shared between requests. Over WebSocket it
    speaks graphql-transport-ws (gateway/live_socket.py)."""

    websocket_adapter_class = SizedWebSocketAdapter
    graphql_transport_ws_handler_class = LiveSocketHandler

    def __init__(self, *args: Any, services: Services, gatekeeper: Gatekeeper, documents: PersistedDocuments,
                 shared: SharedAnswers | None, auth: AuthSettings, production: bool, max_cost: int,
                 cache: CacheSettings, live: SubscriptionSettings | None = None, **kwargs: Any) -> None:
        """`live`: the WebSocket transport's settings; None: WebSocket connections are refused."""
        if live is not None and live.enabled:  # graphql-transport-ws only: the legacy graphql-ws is refused (4406)
            kwargs.update(subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                          connection_init_wait_timeout=timedelta(seconds=live.init_timeout_seconds),
                          max_subscriptions_per_connection=live.max_per_connection)
        else:
            kwargs.update(subscription_protocols=())
        super().__init__(*args, **kwargs)
        self.live_settings = live or SubscriptionSettings(enabled=False)
        self.sockets = Sockets(self.live_settings.max_connections_per_key)
        self.services = services
        self.gatekeeper = gatekeeper
        self.documents = documents
        self.shared = shared
        self.auth = auth
        self.token_key = verification_key(auth)
        self.production = production
        self.max_cost = max_cost
        self.cache = cache

    async def execute_operation(self, request: Request, request_adapter: Any, request_data: Any,
                                context: RequestContext, root_value: Any, sub_response: Response) -> Any:
        refused = await self._admit(request, context, sub_response)
        if refused is not None:
            return refused
        to_register = None
        if isinstance(request_data, GraphQLRequestData):
            refused, to_register = await self._document(request_data, context.api_key, sub_response)
            if refused is not None:
                return refused
        execute = functools.partial(super().execute_operation, request=request, request_adapter=request_adapter,
                                    request_data=request_data, context=context, root_value=root_value,
                                    sub_response=sub_response)
        shared = self.shared
        key = shared.key_of(request_data, context) \
            if shared is not None and isinstance(request_data, GraphQLRequestData) else None
        try:
            if key is None or shared is None:
                result = await execute()
            else:
                result = await shared.answer(key, context, execute, refresh=asks_fresh(request.headers),
                                             sub_response=sub_response)
        except HTTPException as exc:
            cause = exc.__cause__
            if isinstance(cause, InvalidOperationTypeError) and cause.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, SUBSCRIPTIONS_OVER_HTTP) from exc
            if isinstance(cause, InvalidOperationTypeError) and request.method == "GET":
                # GraphQL over HTTP: a mutation over GET is 405, never run
                raise HTTPException(405, "Mutations are only run over POST.") from exc
            raise
        if to_register is not None and isinstance(result, ExecutionResult) and result.data is not None:
            owner = context.api_key.key_id if context.api_key else ""
            await self.documents.register(to_register, request_data.query, owner)  # a document that ran
        return result

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Response,
                             context: RequestContext, root_value: Any, request_data: GraphQLRequestData) -> ExecutionResult:
        """One operation over HTTP: a query or (POST) a mutation. A subscription is refused before it runs:
        it is served over WebSocket only, where its connection is admitted, limited and pinged."""
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query, root_value=root_value, variable_values=request_data.variables,
                context_value=context, operation_name=request_data.operation_name, allowed_operation_types=allowed,
                operation_extensions=request_data.extensions)
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason(request_adapter.method)) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc

    async def _document(self, request_data: GraphQLRequestData, key: ApiKey | None,
                        sub_response: Response) -> tuple[ExecutionResult | None, str | None]:
        """Fills in a persisted query's document, and holds a key with a trusted-document list to
        it. Answers (a refusal, or the hash to register once the document has run)."""
        try:
            sha256 = requested_hash(request_data.extensions, request_data.query)
        except BadPersistedQuery as exc:
            raise HTTPException(400, str(exc)) from exc
        if key is not None and key.documents is not None:
            sha256 = sha256 or (sha256_of(request_data.query) if request_data.query else None)
            if sha256 is None or sha256 not in await self.documents.trusted(key.documents):
                return refusal(DocumentNotTrusted(f"This API key runs only the documents of its trusted list "
                                                  f"'{key.documents}', and this is not one of them.")), None
        if sha256 is None:
            return None, None
        if request_data.query is None:
            request_data.query = await self.documents.find(sha256)
            if request_data.query is None:
                sub_response.status_code = 200  # what Apollo clients expect before they send the document
                return refusal(PersistedQueryNotFound("PersistedQueryNotFound")), None
            return None, None
        return None, (sha256 if key is None or key.documents is None else None)

    def decode_json(self, data: str | bytes) -> object:
        """The body (or a GET's `variables`/`extensions`) as JSON: a number Python's int() refuses (more
        than 4,300 digits) is a bad request like any other JSON it cannot read, not an internal error."""
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc.args[0].split(';')[0]}") from exc

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET naming a persisted query by hash is an operation, not a browser visit."""
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the gateway's own copy, under its Content-Security-Policy (gateway/graphiql.py)."""
        return graphiql_files().page_response()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Requests refused before GraphQL (not JSON, no query, wrong method) answer in the same error
        shape as everything else, instead of plain text."""
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except ClientDisconnect:
            return  # the client left while sending its body: nobody to answer, nothing went wrong here
        except HTTPException as exc:
            headers = {}
            if exc.status_code == 405:  # a mutation over GET may be POSTed; other methods may be neither
                headers["Allow"] = "POST" if scope["method"] == "GET" else "GET, POST"
            code = "METHOD_NOT_ALLOWED" if exc.status_code == 405 else "BAD_REQUEST"
            response = JSONResponse({"errors": [{"message": exc.reason, "extensions": {"code": code}}]},
                                    status_code=exc.status_code, headers=headers)
        await response(scope, receive, send)

    async def _admit(self, request: Request, context: RequestContext, sub_response: Response) -> ExecutionResult | None:
        """Checks the API key and its request budget; applies its scopes and channel binding."""
        admitted, refused = await self.admit(context, request.headers.get(API_KEY_HEADER),
                                             request.client.host if request.client else "",
                                             bool(request.headers.get(CHANNEL_HEADER)))
        if admitted is not None:
            request.state.requests_decision = admitted.requests
        if isinstance(refused, Unauthenticated):
            sub_response.status_code = 401
            sub_response.headers["WWW-Authenticate"] = 'APIKey header="X-API-Key"'
        return refusal(refused) if refused is not None else None

    async def admit(self, context: RequestContext, raw_key: str | None, address: str,
                    channel_asked: bool) -> tuple[Admitted | None, DomainError | None]:
        """An HTTP request's or a WebSocket connection's key, by the same rules: the key and its request
        budget, its scopes and channel binding applied to `context`; or why it is refused."""
        admitted = await self.gatekeeper.admit(raw_key, address)
        if isinstance(admitted, Refused):
            return None, RateLimited(str(admitted), retry_after=admitted.retry_after)
        if isinstance(admitted, str):
            return None, Unauthenticated(admitted)
        key = admitted.key
        context.api_key, context.scopes = key, key.granted
        context.introspection = may_introspect(key, self.production)
        context.meter = self.gatekeeper.meter(key)
        if (bound := bound_channel(key)) is not None:
            if channel_asked and context.channel is not bound and context.rejected is None:
                context.rejected = Forbidden(f"this API key is bound to channel {bound.value}; "
                                             f"it cannot ask for {context.channel.value}")
            context.channel = context.bound_channel = bound
        if not admitted.requests.allowed:
            return admitted, RateLimited(f"The key's request budget is spent for now ({key.requests_per_minute} "
                                         f"requests per minute). Retry in {admitted.requests.retry_after} s.",
                                         retry_after=admitted.requests.retry_after)
        return admitted, None

    async def admit_socket(self, context: RequestContext, given: dict[str, str], address: str) -> DomainError | None:
        """A WebSocket connection's `connection_init`: its payload names the caller as an HTTP request's
        headers do (`X-API-Key` or `apiKey`, `Authorization`, `X-Channel`); why it is refused, if it is."""
        self.identify(context, given.get(CHANNEL_HEADER), given.get("authorization"))
        _, refused = await self.admit(context, key_of(given), address,
                                      bool(given.get(CHANNEL_HEADER)))
        return refused or context.rejected

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        if request.scope["type"] == "websocket":  # the caller names itself in connection_init (admit_socket)
            return RequestContext(services=self.services, request_id=uuid.uuid4().hex,
                                  channel=self.services.rules.default_channel)
        request_id = request.scope.get("state", {}).get("request_id", "")
        context = RequestContext(services=self.services, request_id=request_id,
                                 channel=self.services.rules.default_channel, cacheable=request.method == "GET")
        self.identify(context, request.headers.get(CHANNEL_HEADER), request.headers.get("authorization"))
        context.backend_deadline = request.scope.get("state", {}).get("backend_deadline")
        request.state.gateway_context = context
        request.state.sub_response = response
        response.graphql_response_json = prefers_graphql_response_json(request.headers.get("accept", ""))  # type: ignore[attr-defined]
        return context

    def identify(self, context: RequestContext, channel: str | None, authorization: str | None) -> None:
        """The channel asked for and the customer's token; what is wrong with them is `context.rejected`."""
        if channel:
            try:
                context.channel = Channel.parse(channel)
            except ValueError as exc:
                context.rejected = BadUserInput(f"X-Channel: {exc}")
        try:
            customer = customer_from_header(authorization, self.auth, self.token_key)
        except Unauthenticated as exc:
            context.rejected = exc
        else:
            if customer is not None:
                context.customer_id, context.customer_email = customer.customer_id, customer.email

    def encode_json(self, data: object) -> bytes | str:
        return encode_spliced(data, encode_body)  # a shared answer's data is encoded once

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_response_json", False):
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        policy = getattr(sub_response, "cache_policy", None)
        if policy is None:
            return response
        response.headers["Cache-Control"] = policy
        response.headers["Vary"] = VARY
        if is_shared(policy) and response.status_code == 200:
            response.headers["ETag"] = etag_of(response.body)
            if not_modified(getattr(sub_response, "if_none_match", None), response.headers["ETag"]):
                kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
                return Response(status_code=304, headers=kept)
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> dict[str, Any]:  # type: ignore[override]
        context: RequestContext | None = getattr(request.state, "gateway_context", None)
        request_id = context.request_id if context else ""
        roles = context.services.backends.roles() if context else None
        errors = [format_error(e, request_id, roles) for e in result.errors or ()]
        if context is not None:
            errors += [domain_error_dict(err, path or None, request_id=request_id, roles=roles)
                       for path, err in context.reported]
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        sub_response: Any = getattr(request.state, "sub_response", None)
        limited = next((e.original_error for e in result.errors or ()
                        if isinstance(e.original_error, RateLimited)), None)
        if sub_response is not None and limited is not None:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(max(1, round(limited.retry_after)))
        if getattr(sub_response, "graphql_response_json", False) and result.data is None \
                and errors and all("path" not in e for e in errors):
            # a request error (parse, validation, variables, refusals): no execution, so no data
            del body["data"]
            sub_response.status_code = sub_response.status_code or 400
        extensions = dict(result.extensions or {})
        if context is not None and context.api_key is not None:
            extensions["cost"] = self._cost(context)
            if context.cacheable and sub_response is not None and sub_response.status_code in (None, 200):
                policy = cache_control(context.touched, bool(errors) or "stale" in extensions, self.cache)
                if is_shared(policy):  # a shared answer names no budget: the RateLimit header has it
                    extensions["cost"]["budget"].pop("remaining")
                sub_response.cache_policy = policy
                sub_response.if_none_match = request.headers.get("if-none-match")
            if sub_response is not None:
                requests = getattr(request.state, "requests_decision", None)
                if requests is not None:
                    cost = getattr(context.meter, "decision", None)
                    sub_response.headers.update(rate_limit_headers(requests, cost))
        if extensions:
            body["extensions"] = extensions
        return body

    def _cost(self, context: RequestContext) -> dict[str, Any]:
        """extensions.cost: what the operation was estimated at and what it cost, and the budget left."""
        decision = getattr(context.meter, "decision", None)
        key = context.api_key
        return {"requested": context.cost_requested, "actual": context.cost_actual, "maximum": self.max_cost,
                "budget": {"remaining": decision.remaining if decision else None,
                           "perMinute": key.cost_per_minute if key else None}}
