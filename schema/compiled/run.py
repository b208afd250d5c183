"""Running a compiled plan: the answer is written directly, position by position, with the field
semantics of graphql-core's executor (value completion, leaf coercion, null propagation, errors
located at their aliased paths) and none of its per-field machinery.

Resolver coroutines run as eagerly started tasks (`resolvers.eager.step`); most finish in their
first step because their DataLoader futures are settled. Those that wait leave a slot in the answer; the slots of one pass
are finished together, so their loads batch as they do under graphql-core, and their values are
completed into the answer where the slot stands.
"""

from __future__ import annotations

import asyncio
from types import CoroutineType
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, located_error
from graphql.pyutils import Undefined
from strawberry.utils.await_maybe import await_maybe

from resolvers.eager import Waiting, settled, step
from schema.compiled.arguments import field_kwargs
from schema.compiled.plan import Plan
from schema.compiled.shapes import (
    ABSTRACT,
    LEAF,
    LIST,
    LIST_REFUSAL,
    NON_NULL,
    OBJECT,
    OPTIONAL_REFUSAL,
    FieldPlan,
    Shape,
)

if TYPE_CHECKING:
    from graphql.execution.values import VariableValues

    from resolvers.context import RequestContext

_PLAIN = (str, int, float, bool, list, dict)
_ROOT = None  # the anchor above the root fields: a failure there nulls `data`
_NOTHING = object()


class Path:
    """A position in the answer; `as_list()` as graphql-core's Path gives it."""

    __slots__ = ("key", "prev")

    def __init__(self, prev: Path | None, key: str | int) -> None:
        self.prev = prev
        self.key = key

    def as_list(self) -> list[str | int]:
        keys: list[str | int] = []
        at: Path | None = self
        while at is not None:
            keys.append(at.key)
            at = at.prev
        keys.reverse()
        return keys


class FieldInfo:
    """What resolvers read of strawberry's Info: the context, the path, the field's name and type."""

    __slots__ = ("_plan", "context", "path")

    def __init__(self, context: Any, path: Path, plan: FieldPlan) -> None:
        self.context = context
        self.path = path
        self._plan = plan

    @property
    def field_name(self) -> str:
        return self._plan.name

    @property
    def python_name(self) -> str:
        return self._plan.python_name

    @property
    def return_type(self) -> Any:
        return self._plan.return_type


class _Anchor:
    """The nearest nullable position above a value: where a non-null failure below it lands."""

    __slots__ = ("container", "key", "path")

    def __init__(self, container: Any, key: str | int, path: Path) -> None:
        self.container = container
        self.key = key
        self.path = path


class _Slot:
    """A position whose value is not there yet: a resolver still waiting, or a resolved value whose
    selection waits for the loads its warmer started (`warmed`)."""

    __slots__ = ("anchor", "awaitable", "container", "path", "plan", "warmed")

    def __init__(self, container: dict[str, Any], plan: FieldPlan, path: Path, awaitable: Any,
                 anchor: _Anchor | None, warmed: Any = _NOTHING) -> None:
        self.container = container
        self.plan = plan
        self.path = path
        self.awaitable = awaitable
        self.anchor = anchor  # for the field's own subtree
        self.warmed = warmed


class Run:
    """One operation over one plan."""

    def __init__(self, plan: Plan, context: RequestContext, variables: VariableValues, strawberry_schema: Any) -> None:
        self.plan = plan
        self.context = context
        self.variables = variables
        self.strawberry_schema = strawberry_schema
        self.errors: list[GraphQLError] = []
        self.error_positions: set[Path | None] = set()
        self.slots: list[_Slot] = []
        self.dynamic_kwargs: dict[int, dict[str, Any] | Exception] = {}
        self.objects = 0  # objects in the answer, for the operation's actual cost
        self.root_nulled = False

    async def execute(self, root_value: Any) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] | None = self.object(self.plan.root, root_value, None, _ROOT)
        except GraphQLError as error:
            self.add_error(error, None)
            data = None
        while self.slots:
            slots, self.slots = self.slots, []
            results = await asyncio.gather(*(s.awaitable for s in slots), return_exceptions=True)
            for slot, result in zip(slots, results, strict=True):
                if isinstance(result, BaseException) and not isinstance(result, Exception):
                    raise result
                self.settle(slot, result)
        return None if self.root_nulled else data

    # errors, as graphql-core's CollectedErrors keeps them
    def add_error(self, error: GraphQLError, path: Path | None) -> None:
        at = path
        while at is not None:
            if at in self.error_positions:
                return
            at = at.prev
        if None in self.error_positions:
            return
        self.error_positions.add(path)
        self.errors.append(error)

    def object(self, shape: Shape, source: Any, path: Path | None, anchor: _Anchor | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for plan in shape.fields:
            leaf = plan.leaf
            if leaf is not None:  # the common case, a plain value read without Info: done here when it is fine
                try:
                    value = getattr(source, plan.python_name, _NOTHING) if plan.basic else plan.resolver(source)
                except Exception:  # the general path below calls it again, and reports the failure
                    value = _NOTHING
                if value is not None and value is not _NOTHING and type(value) is not CoroutineType \
                        and not isinstance(value, Exception):
                    coerced = leaf(value)
                    if coerced is not None and coerced is not Undefined:
                        out[plan.key] = coerced
                        continue
                if type(value) is CoroutineType:
                    value.close()  # the general path below calls it again, and reports what it does
            self.field(out, shape, plan, source, path, anchor)
        return out

    def field(self, out: dict[str, Any], shape: Shape, plan: FieldPlan, source: Any, path: Path | None,
              anchor: _Anchor | None) -> None:
        if plan.shape is None:  # __typename
            out[plan.key] = shape.type_name
            return
        field_path = Path(path, plan.key)
        own = anchor if plan.non_null else _Anchor(out, plan.key, field_path)
        try:
            value = self.resolve(plan, source, field_path)
            if type(value) is CoroutineType or (value is not None and not isinstance(value, _PLAIN)
                                                and hasattr(value, "__await__")):
                value = step(value if type(value) is CoroutineType else await_maybe(value))
                if type(value) is Waiting:
                    out[plan.key] = None
                    self.slots.append(_Slot(out, plan, field_path, value.task, own))
                    return
            if plan.warm is not None and value is not None and self.warm_later(out, plan, field_path, value, own):
                return
            out[plan.key] = self.complete(plan.shape, value, plan, field_path, own)
        except Exception as raw:
            error = located_error(raw, plan.nodes, field_path.as_list())
            if plan.non_null:
                raise error from None
            self.add_error(error, field_path)
            out[plan.key] = None

    def warm_later(self, out: dict[str, Any], plan: FieldPlan, path: Path, value: Any, own: _Anchor | None) -> bool:
        """Starts the loads the value's selection needs; True when they are under way, and the value is
        then completed once they are done."""
        pending = plan.warm(value, self.context)
        if not pending:
            return False
        out[plan.key] = None
        self.slots.append(_Slot(out, plan, path, asyncio.ensure_future(settled(pending)), own, value))
        return True

    def resolve(self, plan: FieldPlan, source: Any, path: Path) -> Any:
        if plan.refusal is not None:
            return self.refuse(plan, path)
        if plan.basic:
            return getattr(source, plan.python_name)
        kwargs = plan.kwargs
        if kwargs is None:
            kwargs = self.kwargs_of(plan)
        if plan.info_name is not None:
            kwargs = {**kwargs, plan.info_name: FieldInfo(self.context, path, plan)}
        return plan.resolver(source, **kwargs) if plan.passes_self else plan.resolver(**kwargs)

    def kwargs_of(self, plan: FieldPlan) -> dict[str, Any]:
        """Arguments with variables: the same at every position of the field, so made once."""
        found = self.dynamic_kwargs.get(id(plan))
        if found is None:
            try:
                found = field_kwargs(self.strawberry_schema, plan, plan.nodes[0], self.variables)
            except Exception as exc:
                found = exc
            self.dynamic_kwargs[id(plan)] = found
        if isinstance(found, Exception):
            raise found
        return found

    def refuse(self, plan: FieldPlan, path: Path) -> Any:
        """As the scope check does under graphql-core: null or empty with the error, or raised."""
        error = plan.refusal_error
        assert error is not None, "a refused field carries its error"
        if plan.refusal == OPTIONAL_REFUSAL:
            self.context.report(path.as_list(), error)
            return None
        if plan.refusal == LIST_REFUSAL:
            self.context.report(path.as_list(), error)
            return []
        raise error

    def complete(self, shape: Shape, value: Any, plan: FieldPlan, path: Path, anchor: _Anchor | None) -> Any:
        if isinstance(value, Exception):
            raise value
        kind = shape.kind
        if kind == NON_NULL:
            completed = self.complete(shape.inner, value, plan, path, anchor)  # type: ignore[arg-type]
            if completed is None:
                raise TypeError(f"Cannot return null for non-nullable field {plan.parent_type}.{plan.name}.")
            return completed
        if value is None or value is Undefined:
            return None
        if kind == LEAF:
            coerced = shape.coerce(value)
            if coerced is None or coerced is Undefined:
                raise TypeError(f"Expected a leaf value for {plan.parent_type}.{plan.name}, got {value!r}")
            return coerced
        if kind == OBJECT:
            self.objects += 1
            return self.object(shape, value, path, anchor)
        if kind == LIST:
            return self.complete_list(shape.inner, value, plan, path, anchor)  # type: ignore[arg-type]
        if kind == ABSTRACT:
            definition = getattr(type(value), "__strawberry_definition__", None)
            runtime = shape.by_type.get(definition.name) if definition is not None else None
            if runtime is None:
                raise GraphQLError(f"Abstract type '{shape.abstract}' must resolve to an Object type at runtime "
                                   f"for field '{plan.parent_type}.{plan.name}'.")
            self.objects += 1
            return self.object(runtime, value, path, anchor)
        raise TypeError(f"unexpected shape {kind}")

    def complete_list(self, item_shape: Shape, value: Any, plan: FieldPlan, path: Path,
                      anchor: _Anchor | None) -> list[Any]:
        if not isinstance(value, Iterable) or isinstance(value, (str, bytes, Mapping)):
            raise GraphQLError(f"Expected Iterable, but did not find one for field '{plan.parent_type}.{plan.name}'.")
        items: list[Any] = []
        non_null = item_shape.kind == NON_NULL
        for index, item in enumerate(value):
            item_path = Path(path, index)
            try:
                own = anchor if non_null else _Anchor(items, index, item_path)
                items.append(self.complete(item_shape, item, plan, item_path, own))
            except Exception as raw:
                error = located_error(raw, plan.nodes, item_path.as_list())
                if non_null:
                    raise error from None
                self.add_error(error, item_path)
                items.append(None)
        return items

    def settle(self, slot: _Slot, result: Any) -> None:
        """Completes a slot's value where it stands, or lands its failure as graphql-core would."""
        plan, path = slot.plan, slot.path
        try:
            if slot.warmed is not _NOTHING:
                result = slot.warmed  # the loads it waited for are read by its fields themselves
            elif isinstance(result, Exception):
                raise result
            elif plan.warm is not None and result is not None \
                    and self.warm_later(slot.container, plan, path, result, slot.anchor):
                return
            slot.container[plan.key] = self.complete(plan.shape, result, plan, path, slot.anchor)  # type: ignore[arg-type]
            return
        except Exception as raw:
            error = located_error(raw, plan.nodes, path.as_list())
        if not plan.non_null:
            slot.container[plan.key] = None
            self.add_error(error, path)
            return
        anchor = slot.anchor  # the nearest nullable position above the field
        if anchor is None:
            self.add_error(error, None)
            self.root_nulled = True
            return
        anchor.container[anchor.key] = None
        self.add_error(error, anchor.path)
