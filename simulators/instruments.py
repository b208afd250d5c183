"""`GET /__stats` and `POST /__faults`, shared by every simulator.

Stats count HTTP requests per route template (`requests`, summed in `total`) and,
where one route carries many methods, each RPC (`calls`), so tests and benchmarks
can prove how the gateway batches; `spans` are the latest requests with when each
arrived and was answered (monotonic seconds), so tests can prove which calls overlapped.
Faults add latency, a random error rate, take the backend down (503), make it answer with a body
that is not its JSON, or answer the next N requests (those to one path, when given) with an error
status and, when given, `Retry-After`: a backend that throttles (429) or a proxy before it (502-504).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

ErrorBody = Callable[[int], dict]


@dataclass(slots=True)
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    down: bool = False
    malformed: bool = False  # answer 200 with a body that is not the dialect's JSON
    fail_next: int = 0  # the next this many requests (to `fail_path` when set) answer `fail_status`
    fail_status: int = 503
    fail_path: str = ""
    retry_after: str = ""  # sent as Retry-After with those answers when set (seconds or an HTTP date)

    def update(self, body: dict) -> None:
        latency = float(body.get("latency_ms", self.latency_ms))
        rate = float(body.get("error_rate", self.error_rate))
        fail_next = int(body.get("fail_next", self.fail_next))
        fail_status = int(body.get("fail_status", self.fail_status))
        if latency < 0 or not 0 <= rate <= 1 or fail_next < 0 or not 400 <= fail_status <= 599:
            raise ValueError("latency_ms must be >= 0, error_rate within 0..1, fail_next >= 0 and fail_status "
                             "an error status")
        self.latency_ms, self.error_rate = latency, rate
        self.down = bool(body.get("down", self.down))
        self.malformed = bool(body.get("malformed", self.malformed))
        self.fail_next, self.fail_status = fail_next, fail_status
        self.fail_path = str(body.get("fail_path", self.fail_path))
        self.retry_after = str(body.get("retry_after", self.retry_after))

    def take_failure(self, path: str) -> bool:
        """Whether this request is one of the next `fail_next` to fail (counted down)."""
        if self.fail_next and (not self.fail_path or path == self.fail_path):
            self.fail_next -= 1
            return True
        return False


class Instruments:
    """Per-simulator counters and fault settings."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.spans: deque[tuple[str, float, float]] = deque(maxlen=1_000)  # (method and path, arrived, answered)
        self.faults = Faults()

    def record(self, call: str) -> None:
        """Counts one RPC inside a request, for dialects that carry many methods on one route."""
        self.calls[call] += 1


class FaultsAndStats:
    """Pure ASGI middleware: counts the route, then applies the configured faults."""

    def __init__(self, app: ASGIApp, instruments: Instruments, error_body: ErrorBody) -> None:
        self.app = app
        self.instruments = instruments
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__"):
            await self.app(scope, receive, send)
            return
        self.instruments.requests[f"{scope['method']} {_template(scope)}"] += 1
        arrived = time.monotonic()
        try:
            await self._answer(scope, receive, send)
        finally:
            self.instruments.spans.append((f"{scope['method']} {scope['path']}", arrived, time.monotonic()))

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.instruments.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.down:
            await JSONResponse(self.error_body(503), status_code=503)(scope, receive, send)
            return
        if faults.malformed:
            await Response("<html><body>Maintenance</body></html>", media_type="text/html")(scope, receive, send)
            return
        if faults.take_failure(scope["path"]):
            headers = {"Retry-After": faults.retry_after} if faults.retry_after else None
            status = faults.fail_status
            await JSONResponse(self.error_body(status), status_code=status, headers=headers)(scope, receive, send)
            return
        if faults.error_rate and random.random() < faults.error_rate:
            await JSONResponse(self.error_body(500), status_code=500)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _template(scope: Scope) -> str:
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match.name == "FULL":
            return str(getattr(route, "path", scope["path"]))
    return str(scope["path"])


def instrumented_app(
    routes: list[Route],
    instruments: Instruments,
    error_body: ErrorBody,
    on_startup: Callable[[], Awaitable[None]] | None = None,
) -> Starlette:
    async def stats(_: Request) -> Response:
        return JSONResponse({"requests": dict(instruments.requests), "calls": dict(instruments.calls),
                             "total": instruments.requests.total(), "spans": list(instruments.spans)})

    async def reset_stats(_: Request) -> Response:
        instruments.requests.clear()
        instruments.calls.clear()
        instruments.spans.clear()
        return JSONResponse({"requests": {}, "calls": {}, "total": 0, "spans": []})

    async def faults(request: Request) -> Response:
        try:
            instruments.faults.update(await request.json())
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        f = instruments.faults
        return JSONResponse({"latency_ms": f.latency_ms, "error_rate": f.error_rate, "down": f.down,
                             "malformed": f.malformed, "fail_next": f.fail_next, "fail_status": f.fail_status,
                             "fail_path": f.fail_path, "retry_after": f.retry_after})

    app = Starlette(routes=[
        *routes,
        Route("/__stats", stats, methods=["GET"]),
        Route("/__stats", reset_stats, methods=["DELETE"]),
        Route("/__faults", faults, methods=["POST"]),
    ])
    app.add_middleware(FaultsAndStats, instruments=instruments, error_body=error_body)
    return app
