"""Answers shared between requests, in front of execution: the answer cache (gateway/answer_cache.py),
coalescing of identical queries in flight, and stale-if-error.

- Only queries are shared (never a mutation), and only after the request is admitted: the key is
  made of the document's SHA-256, the operation name, the variables (canonical JSON), the channel
  the request names (`X-Channel`, else the default), the key's bound channel, its scopes and
  whether it may introspect. `@inContext` (channel, currency, store, maxStockAge) is part of the
  document and its variables, so everything that decides a shared answer is in the key; the API key
  itself is not (keys with the same scopes and binding share answers), nor the customer token
  (only answers that touch nothing private are shared).
- A hit is charged to the key's cost budget as the run that made it was: `requested` before,
  settled to `actual` (the objects in the answer), so a client's budget never depends on what
  other clients asked. `extensions.cost` is rebuilt for every request; it is never cached.
- Coalescing: a request whose key is being answered waits for that answer instead of running
  again, and takes it when it is shared (nothing private, the operation ran); otherwise, or when
  the first request fails or is cancelled, it runs on its own.
- Stale-if-error: when a fresh run fails at a backend (an error with a backend's code anywhere)
  and an expired answer is still within `cache.stale_if_error_seconds`, that answer is served,
  with `extensions.stale = {ageSeconds, errors}` naming what failed.
- `Cache-Control: no-cache` on a request skips the lookup; its fresh answer replaces the entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from graphql import GraphQLError, OperationType, parse
from starlette.datastructures import Headers
from starlette.responses import Response
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from domain.errors import BackendError, DomainError
from gateway.answer_cache import Answer, AnswerCache, Entry, RawJSON
from gateway.http_caching import max_age
from gateway.persisted import sha256_of
from gateway.settings import CacheSettings
from resolvers.context import RequestContext
from schema.errors import domain_error_dict, format_error
from schema.protection import operation_of

MAX_IN_FLIGHT = 10_000  # distinct keys being answered at once; beyond, requests run without coalescing
Reported = tuple[tuple[list[str | int], DomainError], ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One run's answer as every request of its key takes it."""

    result: ExecutionResult
    reported: Reported  # errors of fields that still answered (RequestContext.reported)
    touched: frozenset[str]
    requested: int
    actual: int
    operation_name: str | None = None

    @classmethod
    def of(cls, entry: Entry) -> Outcome:
        a = entry.answer
        return cls(ExecutionResult(data=a.data, errors=None), (), a.touched, a.requested, a.actual,  # type: ignore[arg-type]
                   a.operation_name)

    @property
    def failed_at_a_backend(self) -> bool:
        return any(isinstance(e.original_error, BackendError) for e in self.result.errors or ()) \
            or any(isinstance(error, BackendError) for _, error in self.reported)

    @property
    def clean(self) -> bool:
        return not self.result.errors and not self.reported and self.result.data is not None


def asks_fresh(headers: Headers) -> bool:
    """`Cache-Control: no-cache` on the request: answer from the backends, not from a cache."""
    return any(d.strip().lower() == "no-cache" for d in headers.get("cache-control", "").split(","))


class SharedAnswers:
    def __init__(self, cache: AnswerCache, settings: CacheSettings, encode: Callable[[object], str | bytes], *,
                 max_tokens: int, document_cache_size: int,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.cache = cache
        self.settings = settings
        self.encode = encode
        self.max_tokens = max_tokens
        self.document_cache_size = document_cache_size
        self.wall_clock = wall_clock
        self.in_flight: dict[bytes, asyncio.Future[Outcome | None]] = {}
        self.queries: OrderedDict[tuple[str, str | None], bool] = OrderedDict()  # is the operation a query

    def key_of(self, request: GraphQLRequestData, context: RequestContext) -> bytes | None:
        """The key of everything that decides this request's answer; None when it is not shared
        (no key admitted, refused before running, not a query)."""
        if context.api_key is None or context.rejected is not None or not isinstance(request.query, str) \
                or not isinstance(request.operation_name, str | None):
            return None  # a malformed request is refused by execution
        document = sha256_of(request.query)
        if not self._is_query(document, request.query, request.operation_name):
            return None
        bound = context.bound_channel.value if context.bound_channel else None
        parts = [document, request.operation_name, request.variables or {}, context.channel.value, bound,
                 sorted(context.scopes), context.introspection]
        return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()).digest()

    async def answer(self, key: bytes, context: RequestContext, execute: Callable[[], Awaitable[Any]], *,
                     refresh: bool = False, sub_response: Response | None = None) -> Any:
        """The request's answer: from the cache, from the same query in flight, or run (and kept)."""
        if not refresh and (entry := self.cache.fresh(key)) is not None:
            result = await self._take(Outcome.of(entry), context)
            if sub_response is not None and result.data is not None:  # not refused
                sub_response.headers["Age"] = str(int(entry.age(self.cache.clock())))
            return result
        leader = self.in_flight.get(key)
        if leader is not None:
            outcome = await asyncio.shield(leader)  # a follower cancelled must not cancel the others
            if outcome is not None:
                self.cache.joined()
                return await self._take(outcome, context)
        self.cache.missed()
        if leader is not None or len(self.in_flight) >= MAX_IN_FLIGHT:
            return await execute()
        return await self._lead(key, context, execute)

    async def _lead(self, key: bytes, context: RequestContext, execute: Callable[[], Awaitable[Any]]) -> Any:
        future: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
        self.in_flight[key] = future
        outcome: Outcome | None = None
        try:
            stale = self.cache.stale(key)
            generation = self.cache.generation
            result = await execute()
            outcome = self._shared(result, context)
            if outcome is None:
                return result
            if outcome.failed_at_a_backend and stale is not None:
                outcome = self._stale(outcome, stale, context)
                context.reported.clear()  # they are in extensions.stale now
            elif outcome.clean and generation == self.cache.generation:  # no change seen while it ran
                data = cast(RawJSON, outcome.result.data)  # clean: not None; and `_shared` encoded it
                self.cache.store(key, Answer(data, outcome.touched, outcome.requested, outcome.actual,
                                             outcome.operation_name),
                                 owner=context.api_key.key_id if context.api_key else "", lifetime=self._lifetime(context),
                                 product_ids=context.loaders.held.product_ids,
                                 depends_on=context.loaders.held.depends_on)
            return outcome.result
        finally:
            self.in_flight.pop(key, None)
            future.set_result(outcome)  # None: the followers run on their own

    def _shared(self, result: Any, context: RequestContext) -> Outcome | None:
        """The run's answer as other requests may take it; None when they may not: it holds something
        private, or the operation did not run (refused, or failed before executing)."""
        if not isinstance(result, ExecutionResult) or context.cost_requested is None or context.cost_actual is None \
                or "private" in context.touched:
            return None
        if result.data is not None and not isinstance(result.data, RawJSON):
            encoded = self.encode(result.data)
            result = ExecutionResult(data=RawJSON(encoded.encode() if isinstance(encoded, str) else encoded),  # type: ignore[arg-type]
                                     errors=result.errors, extensions=result.extensions)
        return Outcome(result, tuple(context.reported), context.touched, context.cost_requested, context.cost_actual,
                       context.operation_name)

    async def _take(self, outcome: Outcome, context: RequestContext) -> ExecutionResult:
        """Another request's answer for this one: charged to this key's budget as that run was."""
        context.cost_requested, context.touched = outcome.requested, outcome.touched
        context.operation_type, context.operation_name = "query", outcome.operation_name  # its metrics label
        if context.meter is not None:
            try:
                await context.meter.charge(outcome.requested)
            except DomainError as exc:  # the budget is spent, or the operation costs more than it holds
                return ExecutionResult(data=None, errors=[GraphQLError(str(exc), original_error=exc)])
            await context.meter.settle(outcome.actual)
        context.cost_actual = outcome.actual
        context.reported.extend(outcome.reported)
        return outcome.result

    def _stale(self, failed: Outcome, entry: Entry, context: RequestContext) -> Outcome:
        """The kept answer in place of the failed one, saying how old it is and what failed."""
        request_id, roles = context.request_id, context.services.backends.roles()
        errors = [format_error(e, request_id, roles) for e in failed.result.errors or ()]
        errors += [domain_error_dict(error, path or None, request_id=request_id, roles=roles)
                   for path, error in failed.reported]
        stale = {"ageSeconds": math.floor(entry.age(self.cache.clock())), "errors": errors}
        result = ExecutionResult(data=entry.answer.data, errors=None, extensions={"stale": stale})  # type: ignore[arg-type]
        return Outcome(result, (), failed.touched, failed.requested, failed.actual, failed.operation_name)

    def _lifetime(self, context: RequestContext) -> float:
        """As long as the HTTP max-age; with stock and `maxStockAge`, until the oldest figure is that old."""
        seconds: float = max_age(context.touched, self.settings)
        oldest = context.loaders.held.oldest_stock
        if "stock" in context.touched and context.max_stock_age is not None:
            age = (self.wall_clock() - oldest).total_seconds() if oldest else 0.0
            seconds = min(seconds, context.max_stock_age - age)
        return seconds

    def _is_query(self, document: str, text: str, operation_name: str | None) -> bool:
        """Whether the request runs a query (parsed once per document and kept, like validation)."""
        known = self.queries.get((document, operation_name))
        if known is not None:
            self.queries.move_to_end((document, operation_name))
            return known
        try:
            operation = operation_of(parse(text, no_location=True, max_tokens=self.max_tokens), operation_name)
        except GraphQLError:
            operation = None  # execution reports it
        known = operation is not None and operation.operation is OperationType.QUERY
        self.queries[(document, operation_name)] = known
        if len(self.queries) > self.document_cache_size:
            self.queries.popitem(last=False)
        return known
