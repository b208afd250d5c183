"""Where compiled plans meet strawberry: an execution context that runs a query through its plan
when one can be made, and hands everything else to graphql-core's executor unchanged.

Plans are cached per (document, operation, scope set, values of the variables `@skip`/`@include`
read), so a document costs one compilation per caller profile; the cache is a bounded LRU."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, ClassVar

from graphql import ExecutionResult, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.context import RequestContext
from schema.compiled.plan import NotCompiled, Plan, compile_plan, directive_variables
from schema.compiled.run import Run

log = logging.getLogger(__name__)
PLAN_CACHE_SIZE = 1_000
# positions all kept plans may hold together (measured: the listing's plan of 26 positions holds
# about 15 KiB, some 600 bytes a position, so at most about 115 MB): the count of plans alone would
# let many distinct large documents hold far more
PLAN_CACHE_POSITIONS = 200_000


class PlanCache:
    def __init__(self, strawberry_schema: Any, size: int = PLAN_CACHE_SIZE,
                 max_positions: int = PLAN_CACHE_POSITIONS) -> None:
        self.strawberry_schema = strawberry_schema
        self.size = size
        self.max_positions = max_positions
        self.positions = 0
        self.plans: OrderedDict[Hashable, Plan | None] = OrderedDict()
        self.switches: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()  # variables of @skip/@include

    def plan_for(self, executor: CompiledExecution, scopes: frozenset[Any]) -> Plan | None:
        operation = executor.operation
        if operation.loc is None:
            return None
        document_key = (operation.loc.source.body, operation.name.value if operation.name else None)
        switches = self._remember(self.switches, document_key,
                                  lambda: directive_variables(operation, executor.fragments))
        coerced = executor.variable_values.coerced
        key = (document_key, scopes, tuple(repr(coerced.get(name)) for name in switches))
        if key in self.plans:
            self.plans.move_to_end(key)
            return self.plans[key]
        plan = self.plans[key] = self._compile(executor, scopes)
        self.positions += plan.size if plan else 0
        while len(self.plans) > self.size or self.positions > self.max_positions:
            _, dropped = self.plans.popitem(last=False)
            self.positions -= dropped.size if dropped else 0
        return plan

    def _compile(self, executor: CompiledExecution, scopes: frozenset[Any]) -> Plan | None:
        try:
            return compile_plan(executor.schema, self.strawberry_schema, executor.operation, executor.fragments,
                                executor.variable_values, scopes)
        except NotCompiled as why:
            log.debug("document runs on graphql-core: %s", why)
            return None

    def _remember[V](self, cache: OrderedDict[Hashable, V], key: Hashable, make: Any) -> V:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = cache[key] = make()
        if len(cache) > self.size:
            cache.popitem(last=False)
        return value


class CompiledExecution(StrawberryGraphQLCoreExecutionContext):
    """Set `plans` on a subclass per schema (see `compile_queries`)."""

    plans: ClassVar[PlanCache]

    def execute_operation(self, serially: bool | None = None) -> Any:
        context = self.context_value
        if isinstance(context, RequestContext) and self.operation.operation is OperationType.QUERY:
            plan = self.plans.plan_for(self, context.scopes)
            if plan is not None:
                return self._run(plan, context)
        return super().execute_operation(serially)

    async def _run(self, plan: Plan, context: RequestContext) -> ExecutionResult:
        run = Run(plan, context, self.variable_values, self.plans.strawberry_schema)
        data = await run.execute(self.root_value)
        context.objects_counted = run.objects  # every object completed, in the answer or nulled after
        return ExecutionResult(data, run.errors or None)


def compile_queries(strawberry_schema: Any, size: int = PLAN_CACHE_SIZE) -> None:
    """Makes the schema run its queries through compiled plans where it can."""
    execution = type("SchemaExecution", (CompiledExecution,), {"plans": PlanCache(strawberry_schema, size)})
    strawberry_schema.execution_context_class = execution
