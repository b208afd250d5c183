"""GraphQL over WebSocket (graphql-transport-ws) on /graphql: the caller is admitted in
`connection_init` as an HTTP request is by its headers, each operation runs with a context of its
own, errors take the HTTP answers' shape, idle connections are pinged, and a connection that stops
answering, or sends an oversized message, is closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult
from strawberry.utils.aio import aclosing

from domain.api_keys import ApiKey
from domain.errors import DomainError
from gateway.access import API_KEY_HEADER, WHY
from resolvers import api_keys
from resolvers.context import CostMeter, RequestContext
from schema.errors import domain_error_dict, format_error

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, PongMessage

    from gateway.subscription_settings import SubscriptionSettings

log = logging.getLogger(__name__)
REFUSED = 4403  # graphql-transport-ws: Forbidden
TOO_MANY_CONNECTIONS = 4429
NO_PONG = 4504  # the connection did not answer the server's ping in time
TOO_BIG = 1009  # RFC 6455: message too big
MAX_REASON_BYTES = 123  # what a WebSocket close frame holds


class Sockets:
    """The open connections of each API key in this process, within `most` per key."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.open: Counter[str] = Counter()

    def take(self, key_id: str) -> bool:
        if self.open[key_id] >= self.most:
            return False
        self.open[key_id] += 1
        return True

    def give_back(self, key_id: str) -> None:
        self.open[key_id] -= 1
        if self.open[key_id] <= 0:
            del self.open[key_id]


def as_headers(payload: dict[str, object]) -> dict[str, str]:
    """connection_init's payload as the HTTP headers it stands for: names in lower case, text values."""
    return {name.lower(): value for name, value in payload.items() if isinstance(value, str)}


def key_of(headers: dict[str, str]) -> str | None:
    """The API key: `X-API-Key`, or `apiKey` as some clients name it."""
    return headers.get(API_KEY_HEADER) or headers.get("apikey")


def close_reason(text: str) -> str:
    """`text` cut to what a close frame carries."""
    encoded = text.encode()
    return text if len(encoded) <= MAX_REASON_BYTES else encoded[:MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."


class SizedWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends text frames, and closes the connection on a client message over `subscriptions.max_message_bytes`."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        # the view encodes to bytes for HTTP; graphql-transport-ws messages are text frames, and a binary one
        # is not JSON to graphql-ws (browsers hand it over as a Blob): the client closes with 4400
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        most = self.view.live_settings.max_message_bytes  # type: ignore[attr-defined]
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > most // 4 and len(text.encode()) > most:
                    await self.close(TOO_BIG, f"messages are at most {most} bytes (subscriptions.max_message_bytes)")
                    return
                try:
                    yield self.view.decode_json(text)
                except ValueError as exc:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from exc
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass


class PerOperation:
    """The schema as the handler runs it: each operation gets a context of its own (loaders, memo,
    errors, @inContext's channel and store) copied from the connection's, and answers in the same
    error shape as HTTP, with the errors its fields reported."""

    def __init__(self, schema: Any, roles: Callable[[], Any], meter: Callable[[ApiKey], CostMeter]) -> None:
        self.schema = schema
        self.roles = roles
        self.meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.schema, name)

    async def stream(self, query: str | None, *, context_value: RequestContext, **kwargs: Any) -> Any:
        context = operation_context(context_value)
        context.meter = self.meter(context.api_key) if context.api_key is not None else None  # its own charge
        return self._shaped(await self.schema.stream(query, context_value=context, **kwargs), context)

    async def _shaped(self, source: Any, context: RequestContext) -> AsyncGenerator[Any]:
        async with aclosing(source):
            async for result in source:
                if isinstance(result, ExecutionResult):
                    result.errors = self._errors(result, context) or None
                yield result

    def _errors(self, result: ExecutionResult, context: RequestContext) -> list[GraphQLError]:
        roles = self.roles()
        errors = []
        for error in result.errors or ():
            shaped = format_error(error, context.request_id, roles)
            error.message, error.extensions = shaped["message"], shaped.get("extensions")
            errors.append(error)
        for path, reported in context.reported:
            shaped = domain_error_dict(reported, path or None, request_id=context.request_id, roles=roles)
            errors.append(GraphQLError(shaped["message"], path=shaped.get("path"), extensions=shaped.get("extensions")))
        context.reported.clear()
        return errors


def operation_context(connection: RequestContext) -> RequestContext:
    """A fresh context for one operation of the connection, as the connection was admitted."""
    return RequestContext(services=connection.services, request_id=connection.request_id, channel=connection.channel,
                          customer_id=connection.customer_id, customer_email=connection.customer_email,
                          api_key=connection.api_key, scopes=connection.scopes,
                          bound_channel=connection.bound_channel, introspection=connection.introspection,
                          rejected=connection.rejected)


class LiveSocketHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws with the gateway's admission in `connection_init` (GatewayGraphQL.admit_socket)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        view: Any = self.view
        self.settings: SubscriptionSettings = view.live_settings
        self.sockets: Sockets = view.sockets
        self.schema = PerOperation(self.schema, self.context.services.backends.roles,  # type: ignore[assignment]
                                   view.gatekeeper.meter)
        self.key_id: str | None = None
        self.raw_key = ""
        self.pinger: asyncio.Task | None = None
        self.pong_at = time.monotonic()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.websocket.close(4400, "connection_init's payload is an object")
            return
        if self.connection_init_received:
            await self.websocket.close(4429, "Too many initialisation requests")
            return
        self.connection_init_received = True
        view: Any = self.view
        client = getattr(self.websocket, "ws", None)
        address = client.client.host if client is not None and client.client else ""
        given = as_headers(payload)
        refused: DomainError | None = await view.admit_socket(self.context, given, address)
        if refused is not None:
            await self.websocket.close(REFUSED, close_reason(f"{refused.code}: {refused}"))
            return
        key = self.context.api_key
        assert key is not None, "admitted without a key"
        if not self.sockets.take(key.key_id):
            await self.websocket.close(TOO_MANY_CONNECTIONS, close_reason(
                f"this API key has {self.sockets.most} connections open here already "
                f"(subscriptions.max_connections_per_key)"))
            return
        self.key_id = key.key_id
        self.raw_key = key_of(given) or ""
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        if self.settings.ping_seconds > 0:
            self.pinger = asyncio.create_task(self._ping_forever())

    async def handle_pong(self, message: PongMessage) -> None:
        self.pong_at = time.monotonic()

    async def _ping_forever(self) -> None:
        """Pings every `ping_seconds`; closes the connection when a ping has no pong within
        `pong_timeout_seconds` (a client gone without closing holds no subscriptions for long), or
        when its key has been revoked, rotated or has expired since it connected."""
        every, patience = self.settings.ping_seconds, self.settings.pong_timeout_seconds
        view: Any = self.view
        try:
            while True:
                await asyncio.sleep(every)
                checked = await api_keys.check(view.gatekeeper.keys, self.raw_key)
                if isinstance(checked, str):
                    await self.websocket.close(REFUSED, close_reason(f"UNAUTHENTICATED: {WHY[checked]}"))
                    return
                pinged = time.monotonic()
                await self.send_message({"type": "ping"})
                await asyncio.sleep(patience)
                if self.pong_at < pinged:
                    await self.websocket.close(NO_PONG, f"no pong within {patience:g} s of a ping")
                    return
        except Exception:  # noqa: BLE001 - the connection is going away: nothing left to ping
            log.debug("pinging stopped", exc_info=True)

    async def shutdown(self) -> None:
        if self.pinger is not None:
            self.pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.pinger
        if self.key_id is not None:
            self.sockets.give_back(self.key_id)
            self.key_id = None
        await super().shutdown()
