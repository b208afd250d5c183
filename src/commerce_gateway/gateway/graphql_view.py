"""The GraphQL endpoint: builds each request's context and formats every error the same way."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from commerce_gateway.domain.channels import Channel
from commerce_gateway.domain.errors import BadUserInput, Unauthenticated
from commerce_gateway.gateway.identity import customer_from_header, verification_key
from commerce_gateway.gateway.settings import AuthSettings
from commerce_gateway.resolvers.context import Services, RequestContext
from commerce_gateway.schema.errors import domain_error_dict, format_error

CHANNEL_HEADER = "x-channel"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8"


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


class GatewayGraphQL(GraphQL):
    def __init__(self, *args: Any, services: Services, auth: AuthSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = services
        self.auth = auth
        self.token_key = verification_key(auth)

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        request_id = request.scope.get("state", {}).get("request_id", "")
        context = RequestContext(services=self.services, request_id=request_id,
                                 channel=self.services.rules.default_channel)
        if raw := request.headers.get(CHANNEL_HEADER):
            try:
                context.channel = Channel.parse(raw)
            except ValueError as exc:
                context.rejected = BadUserInput(f"X-Channel: {exc}")
        try:
            context.customer_id = customer_from_header(request.headers.get("authorization"), self.auth,
                                                       self.token_key)
        except Unauthenticated as exc:
            context.rejected = exc
        request.state.gateway_context = context
        request.state.sub_response = response
        response.graphql_response_json = prefers_graphql_response_json(request.headers.get("accept", ""))  # type: ignore[attr-defined]
        return context

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_response_json", False):
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> dict[str, Any]:  # type: ignore[override]
        context: RequestContext | None = getattr(request.state, "gateway_context", None)
        request_id = context.request_id if context else ""
        errors = [format_error(e, request_id) for e in result.errors or ()]
        if context is not None:
            errors += [domain_error_dict(err, path or None) for path, err in context.reported]
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        sub_response = getattr(request.state, "sub_response", None)
        if getattr(sub_response, "graphql_response_json", False) and result.data is None \
                and errors and all("path" not in e for e in errors):
            # a request error (parse, validation, variables): no execution, so no data, and 400
            del body["data"]
            sub_response.status_code = 400
        if result.extensions:
            body["extensions"] = result.extensions
        return body
