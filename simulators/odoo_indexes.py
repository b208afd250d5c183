"""What the simulated Odoo searches by instead of reading every record, as its database would.

- `IdSet`: the ids a domain term can match, or every id but some (`complement`), so that "every
  active product" costs the archived ones, not the catalog.
- `ValueIndex`: one field's records by value (a name, a code, a category), built on first use and
  kept up to date from the catalog's `replaced` journal. A term is answered exactly from the
  distinct values: looked up for `=`/`in`, the term's own comparison on each distinct value
  otherwise, and for the `like` family first narrowed to the values holding the pattern's longest
  literal part (found in one lower-cased text of every value, as a trigram index would).

The indexes only choose the records; what a term means stays in the domain evaluator, which
passes its comparison in, so an indexed answer is the one a scan gives.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.odoo_models import Model

SEPARATOR = "\x00"  # between the values in the text searched for a literal


@dataclass(frozen=True, slots=True)
class IdSet:
    """`ids`, or, when `complement`, every record of the model but `ids`."""

    ids: frozenset[int]
    complement: bool = False

    def __and__(self, other: IdSet) -> IdSet:
        if self.complement and other.complement:
            return IdSet(self.ids | other.ids, True)
        if not self.complement and not other.complement:
            return IdSet(self.ids & other.ids)
        plain, excluded = (other, self) if self.complement else (self, other)
        return IdSet(plain.ids - excluded.ids)

    def __or__(self, other: IdSet) -> IdSet:
        if self.complement and other.complement:
            return IdSet(self.ids & other.ids, True)
        if not self.complement and not other.complement:
            return IdSet(self.ids | other.ids)
        plain, excluded = (other, self) if self.complement else (self, other)
        return IdSet(excluded.ids - plain.ids, True)

    def __invert__(self) -> IdSet:
        return IdSet(self.ids, not self.complement)

    def __contains__(self, record_id: int) -> bool:
        return (record_id in self.ids) != self.complement


EVERY = IdSet(frozenset(), True)
NOTHING = IdSet(frozenset())


def hashable(value: object) -> Hashable:
    """An index key: a many2one's `[id, name]` as a tuple, anything else as it is."""
    return tuple(value) if isinstance(value, list) else value


def read_back(key: Hashable) -> object:
    return list(key) if isinstance(key, tuple) else key


def literal_part(pattern: str) -> str:
    """The longest run of a LIKE pattern without wildcards (`%`, `_`; a backslash escapes)."""
    runs, run, escaped = [], [], False
    for char in pattern:
        if escaped:
            run.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "%_":
            runs.append("".join(run))
            run = []
        else:
            run.append(char)
    runs.append("".join(run))
    return max(runs, key=len)


class ValueIndex:
    """A field's records by value. `Model.ids_of` gives the records a replaced product holds."""

    def __init__(self, model: Model, field: str) -> None:
        self.model = model
        self.field = field
        self.groups: dict[Hashable, int | list[int]] = {}  # a lone record as its id (most codes are unique)
        self.pointers = 0  # distinct many2one values among the keys
        self._same: dict[Hashable, Hashable] = {}  # one object per value read (a fresh tuple or float each time)
        ids = list(model.all_ids())
        self.size = len(ids)
        # each record's key, by id: a list where the ids are dense (a tenth of a dict's memory)
        self.key_of: list[Hashable] | dict[int, Hashable] = \
            [None] * (max(ids) + 1) if ids and max(ids) < 4 * len(ids) + 16 else {}
        for record_id in ids:
            self._add(record_id, self._key(record_id))
        self.seen = len(model.catalog.replaced)
        self._text: tuple[str, list[int], list[str]] | None = None  # lower-cased values, their starts, the values
        self._ordered: list[Hashable] | None = None

    def _key(self, record_id: int) -> Hashable:
        key = hashable(self.model.value(record_id, self.field, {}))
        return key if isinstance(key, str) else self._same.setdefault(key, key)  # texts come from the catalog

    def _add(self, record_id: int, key: Hashable) -> None:
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = record_id
            self.pointers += isinstance(key, tuple)
            self._text = self._ordered = None
        elif isinstance(group, int):
            self.groups[key] = [group, record_id]
        else:
            group.append(record_id)
        self.key_of[record_id] = key

    def members(self, key: Hashable) -> list[int]:
        group = self.groups[key]
        return [group] if isinstance(group, int) else group

    def refresh(self) -> None:
        """Catches up with the products replaced since."""
        replaced = self.model.catalog.replaced[self.seen:]  # a copy: another simulator may write meanwhile
        if not replaced:
            return
        products = self.model.catalog.products
        for record_id in self.model.ids_of([products[i] for i in dict.fromkeys(replaced)]):
            old, new = self.key_of[record_id], self._key(record_id)
            if old != new or type(old) is not type(new):
                group = self.members(old)
                group.remove(record_id)
                if len(group) == 1:
                    self.groups[old] = group[0]
                elif not group:
                    del self.groups[old]
                    self.pointers -= isinstance(old, tuple)
                    self._text = self._ordered = None
                self._add(record_id, new)
        self.seen += len(replaced)

    def _select(self, keys: Iterable[Hashable]) -> IdSet:
        """The records of `keys`: as the others' complement when they hold most records."""
        chosen = set(keys)
        if sum(len(self.members(k)) for k in chosen) * 2 > self.size:
            others = (self.members(k) for k in self.groups if k not in chosen)
            return IdSet(frozenset(itertools.chain.from_iterable(others)), True)
        return IdSet(frozenset(itertools.chain.from_iterable(self.members(k) for k in chosen)))

    def lookup(self, op: str, expected: object, holds: Callable[[object, str], bool]) -> IdSet | None:
        """The records for which `holds(value, op)` (the term's own comparison); None when the index
        cannot tell (the domain evaluator then reads the records)."""
        self.refresh()
        plain = not self.pointers  # no many2one: keys compare as values
        if plain and op in ("=", "!=") and _scalar(expected):
            found = self._select([expected] if expected in self.groups else [])
            return ~found if op == "!=" else found
        if plain and op in ("in", "not in") and isinstance(expected, list) and all(map(_scalar, expected)):
            found = self._select([v for v in expected if v in self.groups])
            return ~found if op == "not in" else found
        if "like" in op:
            positive = op.removeprefix("not ")
            pattern = str(expected) if positive.startswith("=") else f"%{expected}%"
            values = self._holding(literal_part(pattern)) if plain else None
            candidates = values if values is not None else list(self.groups)
            try:
                found = self._select([k for k in candidates if holds(read_back(k), positive)])
            except Exception:  # noqa: BLE001 - what would fail a scan fails it: the scan decides
                return None
            return ~found if op.startswith("not") else found
        try:
            return self._select([k for k in list(self.groups) if holds(read_back(k), op)])
        except Exception:  # noqa: BLE001 - as above
            return None

    def always_set(self) -> bool:
        """Whether every record points to one (a many2one's values, none empty)."""
        self.refresh()
        return self.pointers == len(self.groups)

    def pointing_to(self, ids: frozenset[int]) -> IdSet:
        """The records whose many2one points to one of `ids`."""
        self.refresh()
        return self._select([k for k in self.groups if isinstance(k, tuple) and k[0] in ids])

    def _holding(self, literal: str) -> list[Hashable] | None:
        """The text values holding `literal` without case (ASCII only: beyond, case rules differ)."""
        if not literal or not literal.isascii() or SEPARATOR in literal:
            return None
        if self._text is None:
            values = [k for k in self.groups if isinstance(k, str)]
            if not all(v.isascii() and SEPARATOR not in v for v in values):
                return None
            starts = list(itertools.accumulate((len(v) + 1 for v in values[:-1]), initial=0))
            self._text = (SEPARATOR.join(values).lower(), starts, values)
        text, starts, values = self._text
        found: list[Hashable] = []
        wanted = literal.lower()
        at = text.find(wanted)
        while at != -1:
            n = bisect.bisect_right(starts, at) - 1
            found.append(values[n])
            at = text.find(wanted, starts[n + 1]) if n + 1 < len(starts) else -1
        return found

    def ordered_groups(self, descending: bool, sort_key: Callable[[object], tuple]) -> Iterator[list[int]] | None:
        """The records grouped by equal sort key, in order; None when the values do not compare."""
        self.refresh()
        if self._ordered is None:
            try:
                self._ordered = sorted(self.groups, key=lambda k: sort_key(read_back(k)))
            except TypeError:
                return None
        keys = reversed(self._ordered) if descending else self._ordered
        return (sorted(itertools.chain.from_iterable(self.members(k) for k in tied))
                for _, tied in itertools.groupby(keys, key=lambda k: sort_key(read_back(k))))


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float)
