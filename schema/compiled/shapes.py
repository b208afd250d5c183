"""The parts of a compiled plan: per position of the answer, what to call and how to complete it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphql import FieldNode, GraphQLAbstractType

    from domain.errors import DomainError
    from strawberry.types.field import StrawberryField

LEAF, LIST, NON_NULL, OBJECT, ABSTRACT = range(5)
OPTIONAL_REFUSAL, LIST_REFUSAL, RAISED_REFUSAL = range(3)


@dataclass(slots=True, eq=False)
class Shape:
    """How a resolved value is completed: a leaf coerced for output, a list or non-null wrapper
    around an inner shape, an object's fields, or an abstract type's shape per runtime type."""

    kind: int
    inner: Shape | None = None
    coerce: Any = None  # LEAF: the type's output coercion
    fields: list[FieldPlan] = field(default_factory=list)  # OBJECT
    type_name: str = ""  # OBJECT
    by_type: dict[str, Shape] = field(default_factory=dict)  # ABSTRACT
    abstract: GraphQLAbstractType | None = None


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str  # the response key (alias or name)
    name: str
    parent_type: str
    nodes: list[FieldNode]
    shape: Shape | None = None  # None: `__typename`
    non_null: bool = False
    definition: StrawberryField | None = None
    basic: bool = False  # no resolver, no extension: the source's attribute
    python_name: str = ""
    resolver: Any = None  # the strawberry resolver's function
    passes_self: bool = False
    info_name: str | None = None
    kwargs: dict[str, Any] | None = None  # arguments when they hold no variables
    graphql_field: Any = None
    refusal: int | None = None
    refusal_error: DomainError | None = None
    return_type: Any = None  # the strawberry return type, as Info.return_type gives it
    warm: Any = None  # (value, context) -> loads under way: fetches what the selection below will read
    # a leaf read without Info or arguments (an attribute, or a method of the source alone): its
    # output coercion, for the run's fast path; None otherwise
    leaf: Any = None


