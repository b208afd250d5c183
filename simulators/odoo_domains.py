"""Odoo domains over the simulated models: what a term means (`DomainEvaluator._term`), and how a
search finds its records without reading them all.

A search plans first: each term the model's indexes answer (odoo_indexes.py) gives the ids it can
match, exactly or as a superset, a `write_date` range gives the records written within it, and
`&`, `|`, `!` combine them. A large set is then read in the order asked from an ordered index (id,
`write_date`, an indexed field), so a page of 50 reads about 50 records; a small one is sorted.
Only records of an inexact plan are checked term by term; an exact plan counts without reading.
`Registry.indexed` False makes every search read every record: the reference the indexed answers
are tested against.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from simulators.odoo_indexes import EVERY, IdSet
from simulators.odoo_models import Model, OdooError, Registry, domain_datetime

SORT_AT_MOST = 2_000  # a plan of up to this many ids is sorted; a larger one is read in order from an index
WRITTEN_AT_MOST = 2_000  # a write_date range over up to this many products (and half) narrows a search to them
SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Plan:
    """The ids a domain can match: exactly them when `exact`, else a superset to check."""

    ids: IdSet
    exact: bool

    def __and__(self, other: Plan) -> Plan:
        return Plan(self.ids & other.ids, self.exact and other.exact)

    def __or__(self, other: Plan) -> Plan:
        return Plan(self.ids | other.ids, self.exact and other.exact)

    def __invert__(self) -> Plan:
        return Plan(~self.ids, True) if self.exact else UNKNOWN


UNKNOWN = Plan(EVERY, False)
ALL = Plan(EVERY, True)


@functools.lru_cache(maxsize=512)
def _like_pattern(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


def like(pattern: str, text: str, case_sensitive: bool) -> bool:
    """PostgreSQL's LIKE (ILIKE when not `case_sensitive`) with its default escape, the backslash."""
    return _like_pattern(pattern, case_sensitive).fullmatch(text) is not None


class DomainEvaluator:
    """Evaluates an Odoo domain against one model of the registry."""

    OPERATORS = {"=", "!=", "in", "not in", "ilike", "not ilike", "like", "=like", "=ilike", ">", ">=", "<", "<=",
                 "child_of", "parent_of"}

    def __init__(self, registry: Registry, model: Model, context: dict) -> None:
        self.registry = registry
        self.model = model
        self.context = context

    def select(self, domain: list, order: str, offset: int, limit: int | None) -> list[int]:
        """The ids matching, in `order` ("name desc, id": ties in ascending id), `offset` and `limit` applied."""
        terms = self._terms(domain)
        clauses = [(field, direction.strip().lower() == "desc")
                   for field, _, direction in (c.strip().partition(" ") for c in order.split(",") if c.strip())]
        plan = self._plan(terms)
        stop = offset + limit if limit else None
        if limit and limit > 0 and offset >= 0 and clauses \
                and all(self.model.has_field(field) for field, _ in clauses) \
                and (plan.ids.complement or len(plan.ids.ids) > SORT_AT_MOST):
            groups = self._in_order(*clauses[0], terms)
            if groups is not None:
                return self._first(groups, clauses[1:], plan, terms, offset + limit)[offset:stop]
        ids = [i for i in self._candidates(plan) if self._accepts(i, plan, terms)]
        self._sort(ids, clauses)
        return ids[offset:stop]

    def count(self, domain: list) -> int:
        terms = self._terms(domain)
        plan = self._plan(terms)
        if plan.exact and not plan.ids.complement:
            return len(plan.ids.ids)
        size = self.model.size()
        if plan.exact and size is not None:
            return size - len(plan.ids.ids)
        return sum(1 for i in self._candidates(plan) if self._accepts(i, plan, terms))

    def _first(self, groups: Iterable[list[int]], rest: list[tuple[str, bool]], plan: Plan, terms: list,
               stop: int) -> list[int]:
        """The first `stop` matches from groups of equal first sort key, each group in the rest's order."""
        found: list[int] = []
        for group in groups:
            members = [i for i in group if self._accepts(i, plan, terms)]
            self._sort(members, rest)
            found += members
            if len(found) >= stop:
                break
        return found

    def _sort(self, ids: list[int], clauses: list[tuple[str, bool]]) -> None:
        for field, descending in reversed(clauses):
            ids.sort(key=functools.partial(_sort_key_of, self.model, field, self.context), reverse=descending)

    def _candidates(self, plan: Plan) -> Iterable[int]:
        if plan.ids.complement:
            return self.model.all_ids()
        return (i for i in sorted(plan.ids.ids) if self.model.exists(i))

    def _accepts(self, record_id: int, plan: Plan, terms: list) -> bool:
        return record_id in plan.ids and (plan.exact or self._matches(record_id, terms))

    def _terms(self, domain: object) -> list:
        terms = self._validate(domain)
        if self._hides_archived(terms):
            terms = [*terms, ["active", "=", True]]  # implicitly AND-ed with the rest
        return terms

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

    # planning

    def _plan(self, terms: list) -> Plan:
        if not self.registry.indexed:
            return UNKNOWN

        def parse(i: int) -> tuple[Plan, int]:
            term = terms[i]
            if term in ("&", "|"):
                left, j = parse(i + 1)
                right, k = parse(j)
                return (left & right if term == "&" else left | right), k
            if term == "!":
                inner, j = parse(i + 1)
                return ~inner, j
            return self._leaf(term), i + 1

        plan, i = ALL, 0
        while i < len(terms):
            part, i = parse(i)
            plan &= part
        written = self._written_within(*self._write_bounds(terms))
        return plan & Plan(IdSet(written), False) if written is not None else plan

    def _leaf(self, term: list | tuple) -> Plan:
        field, op, expected = term
        model = self.model
        if not isinstance(field, str):
            return UNKNOWN
        head, _, rest = field.partition(".")
        if rest:
            return self._path(field, head, rest, op, expected)
        if model.is_datetime(field):
            return UNKNOWN  # a write_date range narrows the plan as a whole
        index = model.index(field)
        if index is not None:
            found = index.lookup(op, expected, lambda value, o: self._compare(model, field, value, o, expected))
            if found is not None:
                return Plan(found, True)
        values = expected if isinstance(expected, list) else [expected]
        if op in ("=", "in") and (False not in values or field in model.indexes_false):
            candidates = model.candidates(field, values)
            if candidates is not None:
                return Plan(IdSet(frozenset(candidates)), False)
        return UNKNOWN

    def _path(self, field: str, head: str, rest: str, op: str, expected: object) -> Plan:
        """A dotted term: through a one2many, the records listing one the rest holds for; through a
        many2one, those pointing to one (where every record points to one: an empty one fails the read)."""
        model = self.model
        if head in model.x2many:
            inverse = model.x2many_inverse.get(head)
            related = self.registry.models.get(model.x2many[head])
            if inverse is None or related is None:
                return UNKNOWN
            inner = DomainEvaluator(self.registry, related, self.context)
            found = self._matching(related, inner._leaf([rest, op, expected]),
                                   lambda i: inner._term(i, rest, op, expected))
            return UNKNOWN if found is None else Plan(IdSet(frozenset(
                related.value(i, inverse, {})[0] for i in found)), True)  # type: ignore[index]
        index = model.index(head)
        related = self.registry.models.get(model.relations.get(head, ""))
        if index is None or related is None or not index.always_set():
            return UNKNOWN
        plan = UNKNOWN
        target = related.index(rest) if "." not in rest and op != "parent_of" and not related.is_datetime(rest) \
            else None
        if target is not None:
            found_ids = target.lookup(op, expected, lambda value, o: self._compare(model, field, value, o, expected))
            plan = Plan(found_ids, True) if found_ids is not None else UNKNOWN
        found = self._matching(related, plan,
                               lambda i: self._compare(model, field, self._resolve(related, i, rest), op, expected))
        return UNKNOWN if found is None else Plan(index.pointing_to(found), True)

    def _matching(self, model: Model, plan: Plan, holds: Callable[[int], bool]) -> frozenset[int] | None:
        """The records of `model` for which `holds`, from `plan`; None where that takes reading many
        records, or fails (the search then reads its own records, and fails as it would)."""
        if plan.exact and not plan.ids.complement:
            return plan.ids.ids
        if plan.ids.complement and not model.few:
            return None
        try:
            return frozenset(i for i in (model.all_ids() if plan.ids.complement else sorted(plan.ids.ids))
                             if i in plan.ids and (plan.exact or holds(i)))
        except Exception:  # noqa: BLE001 - the search reads its records, and fails as it would
            return None

    def _write_bounds(self, terms: list) -> tuple[datetime | None, datetime | None]:
        """The domain's `write_date` bounds, widened by a second (Odoo 19 compares whole seconds)."""
        def parsed(bound: str | None, shift: timedelta) -> datetime | None:
            try:
                at = domain_datetime(bound) if bound is not None else None
            except OdooError:
                return None
            return at.replace(tzinfo=UTC) + shift if at is not None else None

        floor, ceiling = written_bounds(terms)
        return parsed(floor, -SECOND), parsed(ceiling, SECOND)

    def _written_within(self, floor: datetime | None, ceiling: datetime | None) -> frozenset[int] | None:
        if (floor is None and ceiling is None) or self.model.written_at() is None:
            return None
        times, _ = self.registry.catalog.seeded_order
        low = bisect.bisect_left(times, floor) if floor else 0
        high = bisect.bisect_right(times, ceiling) if ceiling else len(times)
        narrow = high - low <= min(WRITTEN_AT_MOST, len(times) // 2)
        groups = self.model.write_order(False, floor, ceiling) if narrow else None
        return frozenset(i for group in groups for i in group) if groups is not None else None

    def _in_order(self, field: str, descending: bool, terms: list) -> Iterable[list[int]] | None:
        """The records grouped by equal `field`, in order, from an index; None when none has them."""
        if field == "id":
            ordered = self.model.ordered_ids(descending)
            return None if ordered is None else ([i] for i in ordered)
        if self.model.is_datetime(field):
            return self.model.write_order(descending, *self._write_bounds(terms)) if field == "write_date" else None
        index = self.model.index(field)
        return index.ordered_groups(descending, _sort_key) if index is not None else None

    # reading

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
        if related is None:
            raise OdooError("ValueError", f"Invalid path {path!r} on model {model.name}")
        if not value or not isinstance(value, list):
            return False  # an empty many2one: the path holds False, as Odoo's LEFT JOIN gives NULL
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
        return self._compare(model, field, self._resolve(model, record_id, field), op, expected)

    def _compare(self, model: Model, field: str, actual: object, op: str, expected: object) -> bool:
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


def written_bounds(terms: list) -> tuple[str | None, str | None]:
    """The earliest and the latest `write_date` a record matching the (prefix-notation) domain can
    have, where the domain bounds it: the index real Odoo's database would use."""
    def parse(i: int) -> tuple[tuple[str | None, str | None], int]:
        term = terms[i]
        if term in ("&", "|"):
            (left_floor, left_ceiling), j = parse(i + 1)
            (right_floor, right_ceiling), k = parse(j)
            if term == "&":
                return (max((b for b in (left_floor, right_floor) if b), default=None),
                        min((b for b in (left_ceiling, right_ceiling) if b), default=None)), k
            return ((min(left_floor, right_floor) if left_floor and right_floor else None),
                    (max(left_ceiling, right_ceiling) if left_ceiling and right_ceiling else None)), k
        if term == "!":
            return (None, None), parse(i + 1)[1]
        field, op, value = term
        if field != "write_date" or not isinstance(value, str):
            return (None, None), i + 1
        return ((value if op in (">", ">=", "=") else None), (value if op in ("<", "<=", "=") else None)), i + 1

    floors, ceilings, i = [], [], 0
    while i < len(terms):
        (floor, ceiling), i = parse(i)
        floors.append(floor)
        ceilings.append(ceiling)
    return max((b for b in floors if b), default=None), min((b for b in ceilings if b), default=None)


def _is_many2one(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)


def _sort_key_of(model: Model, field: str, context: dict, record_id: int) -> tuple:
    if field == "id":  # every model's id is the record's: no need to read it
        return False, record_id
    if model.is_datetime(field):  # as the database orders them: by the stored value, unset last
        stored = model.stored_datetime(record_id, field)
        return stored is None, stored or datetime.min
    return _sort_key(model.value(record_id, field, context))


def _sort_key(value: object) -> tuple:
    if isinstance(value, list):
        value = value[1]
    return (value is False, value if value is not False else 0)
