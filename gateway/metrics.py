"""Prometheus metrics, served at `/metrics`: request durations by GraphQL operation, backend calls
by backend and route, their retries and circuit breakers, the shared answer cache, and the worker
processes.

With `serve --workers N` every worker writes its figures to files in one directory
(prometheus-client's multiprocess mode; `serve` makes the directory, sets
`PROMETHEUS_MULTIPROC_DIR` for the workers and removes it on exit), and `/metrics` on any
worker reads them all: counters and histograms summed over the workers, the per-worker
gauge with a `pid` label. One process keeps its figures in memory.

Operation names are chosen by clients, so they are bounded before they become labels
(`OperationLabels`). Backend routes are path templates (`adapters.http.route_of`). No label
holds a key, a customer, an id or a SKU.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, make_asgi_app,
                               multiprocess, values)
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.breaker import STATES as BREAKER_STATES
from gateway.admission import CANCEL_REASONS
from gateway.admission import OUTCOMES as ADMISSION_OUTCOMES
from gateway.processes import process_alive

ANONYMOUS = "(anonymous {})"  # an operation without a name, by its type
OTHER = "(other)"             # past the first `max_operation_names`, or a name too long to be one
NONE = "(none)"               # no operation ran: refused (key, budget, body) or not a valid document
MAX_NAME_LENGTH = 64
EVICTION_REASONS = ("ttl", "size", "invalidated")
PUSH_OUTCOMES = ("accepted", "refused", "unchanged")
IMPORT_OUTCOMES = ("imported", "failed")
WEBHOOK_OUTCOMES = ("sent", "retried", "given_up", "endpoint_disabled")
SYNC_LAG_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

disable_created_metrics()  # no `_created` series: multiprocess mode has none, so one process shows none either


class OperationLabels:
    """The `operation` label of a request: its operation's name while fewer than `limit` names have
    been seen by this process, then `(other)` for every new one. A hostile client inventing names
    cannot grow the series beyond `limit` (+ the few fixed labels) per worker process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.known: set[str] = set()

    def __call__(self, operation_type: str | None, name: str | None) -> str:
        if operation_type is None:
            return NONE
        if name is None:
            return ANONYMOUS.format(operation_type)
        if name in self.known:
            return name
        if len(self.known) >= self.limit or len(name) > MAX_NAME_LENGTH:
            return OTHER
        self.known.add(name)
        return name


class Metrics:
    """The gateway's series, for one process. `multiprocess_dir`: the directory every worker of one
    `serve` writes to (PROMETHEUS_MULTIPROC_DIR, set before prometheus-client was imported);
    None: figures in memory, this process only."""

    def __init__(self, *, max_operation_names: int = 100, multiprocess_dir: str | None = None) -> None:
        if multiprocess_dir is not None and not getattr(values.ValueClass, "_multiprocess", False):
            raise RuntimeError("PROMETHEUS_MULTIPROC_DIR must be set before prometheus_client is imported")
        self.multiprocess_dir = multiprocess_dir
        self.exposed = CollectorRegistry()
        if multiprocess_dir is not None:
            _forget_dead_workers(multiprocess_dir)
            multiprocess.MultiProcessCollector(self.exposed, path=multiprocess_dir)
        # in multiprocess mode the series live in the files, not in a registry
        registry = None if multiprocess_dir is not None else self.exposed
        self.operations = OperationLabels(max_operation_names)
        self.request_seconds = Histogram(
            "gateway_request_duration_seconds", "Time to answer a /graphql request, by GraphQL operation.",
            ["operation"], registry=registry)
        self.requests = Counter(
            "gateway_requests", "/graphql requests answered, by GraphQL operation and HTTP status.",
            ["operation", "status"], registry=registry)
        self.backend_seconds = Histogram(
            "gateway_backend_request_duration_seconds", "Time of one backend call, by backend and route.",
            ["backend", "method", "route"], registry=registry)
        self.backend_calls = Counter(
            "gateway_backend_requests", "Backend calls, by backend, route and outcome "
            "(ok, error, timeout, unreachable, cancelled).",
            ["backend", "method", "route", "outcome"], registry=registry)
        self.backend_retries = Counter(
            "gateway_backend_retries", "Backend reads sent again, by backend and the failure before "
            "(unreachable, timeout, http_429, http_502, http_503, http_504).", ["backend", "reason"],
            registry=registry)
        self.breaker_rejections = Counter(
            "gateway_backend_breaker_rejections", "Backend calls failed fast, unsent, by an open circuit breaker.",
            ["backend"], registry=registry)
        # one series per state, 1 for the state the backend's breaker is in; per worker (pid) as every worker has
        # its own breakers
        self.breaker_state = Gauge(
            "gateway_backend_breaker_state", "The backend's circuit breaker in this worker process: 1 for its "
            "state (closed, open, half_open), 0 for the others.",
            ["backend", "state"] if multiprocess_dir else ["backend", "state", "pid"],
            multiprocess_mode="liveall", registry=registry)
        self.cache_hits = Counter("gateway_answer_cache_hits", "Answers served from the shared answer cache.",
                                  registry=registry)
        self.cache_misses = Counter("gateway_answer_cache_misses",
                                    "Cacheable requests the shared answer cache did not hold.", registry=registry)
        self.cache_evictions = Counter("gateway_answer_cache_evictions",
                                       "Answers dropped from the shared answer cache, by reason "
                                       "(ttl, size, invalidated).", ["reason"], registry=registry)
        self.coalesced = Counter("gateway_coalesced_requests",
                                 "Requests that waited for an identical request in flight instead of running.",
                                 registry=registry)
        self.admissions = Counter(
            "gateway_admissions", "/graphql requests by admission outcome: admitted at once, queued (admitted "
            "after waiting), refused_busy (queue full), refused_queue_timeout, refused_key_limit (429).",
            ["outcome"], registry=registry)
        self.cancellations = Counter(
            "gateway_cancelled_requests", "Admitted requests cancelled, with their backend calls, by reason "
            "(deadline, disconnect).", ["reason"], registry=registry)
        self.subscriptions = Counter(
            "gateway_subscriptions", "Subscriptions started over WebSocket, by GraphQL operation.",
            ["operation"], registry=registry)
        self._admission_series = {outcome: self.admissions.labels(outcome) for outcome in ADMISSION_OUTCOMES}
        # the marketplace sync (resolvers/marketplace_push.py, marketplace_orders.py): outcomes only, never SKUs
        self.marketplace_pushes = Counter(
            "gateway_marketplace_pushes", "SKUs the marketplace push handled, by outcome (accepted, refused: the "
            "marketplace refused that SKU or the call failed, unchanged: the offer already held the figures).",
            ["outcome"], registry=registry)
        self.marketplace_lag = Histogram(
            "gateway_marketplace_push_lag_seconds", "From a stock or price event to the marketplace's acceptance "
            "of the push it caused.", buckets=SYNC_LAG_BUCKETS, registry=registry)
        self.marketplace_orders = Counter(
            "gateway_marketplace_orders", "Marketplace orders the import handled, by outcome (imported, failed).",
            ["outcome"], registry=registry)
        for outcome in PUSH_OUTCOMES:
            self.marketplace_pushes.labels(outcome)
        for outcome in IMPORT_OUTCOMES:
            self.marketplace_orders.labels(outcome)
        self.webhooks = Counter(
            "gateway_webhook_deliveries", "Partner webhook deliveries by outcome: sent, retried (failed, to be sent "
            "again), given_up; endpoint_disabled counts endpoints disabled after failures in a row.", ["outcome"],
            registry=registry)
        for outcome in WEBHOOK_OUTCOMES:
            self.webhooks.labels(outcome)
        self.holds = Counter(
            "gateway_stock_holds", "Stock holds of one SKU for one cart by outcome: taken, refused (the others' holds "
            "left too little), released, expired.", ["outcome"], registry=registry)
        for reason in CANCEL_REASONS:
            self.cancellations.labels(reason)
        # per worker: one series per live process (its pid), so an uneven spread shows
        worker = Gauge("gateway_worker_requests", "HTTP requests this worker process has answered since it "
                       "started (pid label: the process).", [] if multiprocess_dir else ["pid"],
                       multiprocess_mode="liveall", registry=registry)
        self.worker_requests = worker if multiprocess_dir else worker.labels(str(os.getpid()))
        for reason in EVICTION_REASONS:
            self.cache_evictions.labels(reason)  # every reason shows, at 0, before the first eviction
        # the labelled series already used, by their label values: a dict lookup instead of `labels()` (1.1 µs,
        # twelve times a listing); the keys are bounded as the labels are (capped operations, the adapters' routes)
        self._request_series: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._backend_series: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}

    # — recorded by the gateway —

    def observe_request(self, operation_type: str | None, operation_name: str | None, status: int,
                        seconds: float) -> None:
        operation = self.operations(operation_type, operation_name)
        key = (operation, status)
        if (series := self._request_series.get(key)) is None:
            series = self._request_series[key] = (self.request_seconds.labels(operation),
                                                  self.requests.labels(operation, str(status)))
        series[0].observe(seconds)
        series[1].inc()

    def record_backend_call(self, backend: str, method: str, route: str, outcome: str, seconds: float) -> None:
        """An `adapters.http.CallRecorder`: wired into every backend's `BackendHttp`."""
        key = (backend, method, route, outcome)
        if (series := self._backend_series.get(key)) is None:
            series = self._backend_series[key] = (self.backend_seconds.labels(backend, method, route),
                                                  self.backend_calls.labels(backend, method, route, outcome))
        series[0].observe(seconds)
        series[1].inc()

    # — for the backends' retries and circuit breakers (adapters/retries.py, adapters/breaker.py) —

    def retried(self, backend: str, reason: str) -> None:
        """A backend read sent again (`gateway_backend_retries_total{backend,reason}`)."""
        self.backend_retries.labels(backend, reason).inc()

    def breaker_changed(self, backend: str, state: str) -> None:
        """The backend's breaker moved to `state` (`gateway_backend_breaker_state{backend,state}`)."""
        for each in BREAKER_STATES:
            labels = (backend, each) if self.multiprocess_dir else (backend, each, str(os.getpid()))
            self.breaker_state.labels(*labels).set(1 if each == state else 0)

    def breaker_rejected(self, backend: str) -> None:
        """A call failed fast (`gateway_backend_breaker_rejections_total{backend}`)."""
        self.breaker_rejections.labels(backend).inc()

    # — for the shared answer cache —

    def answer_cache_hit(self) -> None:
        """A request answered from the cache (`gateway_answer_cache_hits_total`)."""
        self.cache_hits.inc()

    def answer_cache_miss(self) -> None:
        """A cacheable request the cache did not hold, so it ran (`gateway_answer_cache_misses_total`)."""
        self.cache_misses.inc()

    def answer_cache_eviction(self, reason: str, count: int = 1) -> None:
        """`count` answers dropped: `ttl` (expired), `size` (room for newer ones) or `invalidated`
        (a backend's change feed said what they showed changed)
        (`gateway_answer_cache_evictions_total{reason}`)."""
        if reason not in EVICTION_REASONS:
            raise ValueError(f"eviction reason must be one of {', '.join(EVICTION_REASONS)} (got {reason!r})")
        self.cache_evictions.labels(reason).inc(count)

    def coalesced_request(self) -> None:
        """A request that waited for the same request already running and took its answer
        (`gateway_coalesced_requests_total`)."""
        self.coalesced.inc()

    def subscription_started(self, operation_name: str | None) -> None:
        """A subscription began streaming (`gateway_subscriptions_total{operation}`)."""
        self.subscriptions.labels(self.operations("subscription", operation_name)).inc()

    # — for admission control (gateway/admission.py) —

    def admission(self, outcome: str) -> None:
        """A request admitted, queued or refused (`gateway_admissions_total{outcome}`)."""
        self._admission_series[outcome].inc()

    def cancelled(self, reason: str) -> None:
        """An admitted request cancelled (`gateway_cancelled_requests_total{reason}`)."""
        self.cancellations.labels(reason).inc()

    # — for the marketplace sync —

    def marketplace_pushed(self, outcome: str, count: int) -> None:
        """`count` SKUs pushed with `outcome` (`gateway_marketplace_pushes_total{outcome}`)."""
        self.marketplace_pushes.labels(outcome).inc(count)

    def marketplace_push_lag(self, seconds: float) -> None:
        """A push accepted `seconds` after its event (`gateway_marketplace_push_lag_seconds`)."""
        self.marketplace_lag.observe(seconds)

    def marketplace_order_imported(self, outcome: str) -> None:
        """An order imported or failed (`gateway_marketplace_orders_total{outcome}`)."""
        self.marketplace_orders.labels(outcome).inc()
    # — for partner webhooks (resolvers/webhooks/worker.py) —

    def webhook_deliveries(self, outcome: str, count: int) -> None:
        """Deliveries of one pass by outcome (`gateway_webhook_deliveries_total{outcome}`)."""
        if count:
            self.webhooks.labels(outcome).inc(count)

    # — for stock holds (adapters/mongo/holds.py) —

    def stock_holds(self, outcome: str, count: int) -> None:
        """Holds taken, refused, released or expired (`gateway_stock_holds_total{outcome}`)."""
        if count:
            self.holds.labels(outcome).inc(count)

    # — process life and exposition —

    def worker_stopping(self) -> None:
        """The process stops: its per-worker series goes (multiprocess mode)."""
        if self.multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)

    def asgi_app(self) -> ASGIApp:
        """`GET /metrics`: the text format, or OpenMetrics when the scraper asks for it."""
        return make_asgi_app(self.exposed)


def _forget_dead_workers(directory: str) -> None:
    """Drops the per-worker series of workers that died without stopping (the supervisor
    replaces them), so /metrics lists live workers only."""
    for file in Path(directory).glob("gauge_liveall_*.db"):
        pid = file.stem.rsplit("_", 1)[1]
        if pid.isdigit() and not process_alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), directory)


class RequestMetrics:
    """Pure ASGI middleware: serves `GET /metrics`, times every request to `path` (the GraphQL
    endpoint) and counts it by operation and status, and counts every request of this worker.

    The operation is read from the request's GraphQL context once it has run (`operation_type`
    and `operation_name`, set when the operation starts executing). `port`: None serves
    /metrics beside the API; a port serves it there only, and nothing else there."""

    def __init__(self, app: ASGIApp, metrics: Metrics, path: str = "/graphql", metrics_path: str = "/metrics",
                 port: int | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.metrics = metrics
        self.path = path
        self.metrics_path = metrics_path
        self.port = port
        self.exposition = metrics.asgi_app()
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.metrics.worker_requests.inc()
        on_metrics_port = self.port is not None and (scope.get("server") or ("", 0))[1] == self.port
        if scope["path"] == self.metrics_path and (self.port is None or on_metrics_port):
            await self.exposition(scope, receive, send)
            return
        if on_metrics_port:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        if scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500  # unless the app starts a response

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state = scope.get("state", {})
            if status == 500 and (cancelled := state.get("cancelled")):  # by admission, before any answer
                status = 504 if cancelled == "deadline" else 499  # 499: the client closed the request
            context: Any = state.get("gateway_context")
            self.metrics.observe_request(getattr(context, "operation_type", None),
                                         getattr(context, "operation_name", None), status, self.clock() - started)
