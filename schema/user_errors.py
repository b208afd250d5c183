"""User errors: the expected failures a mutation answers in its payload's `userErrors`. Each slice
has its own type whose `code` is the slice's enum, made from the domain's (domain/error_codes.py),
so clients find every code, with what it means, by introspection."""

from __future__ import annotations

import inspect
import logging

import strawberry

from domain.error_codes import Code

log = logging.getLogger("commerce_gateway.errors")


def code_enum(codes: type[Code]) -> None:
    """Makes `codes` a GraphQL enum of the same name, described by its docstring, each value by
    its member's description."""
    strawberry.enum(codes, name=codes.__name__, description=inspect.cleandoc(codes.__doc__ or "") or None)
    for value in codes.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = codes[value.name].description


def member[C: Code](codes: type[C], code: str) -> C:
    """The member of `codes` for a code the use cases produced. One that is not a member (a bug the
    unit tests are there to catch) is answered as INTERNAL and logged as an error, so the answer
    still reaches the client, whose change may have been made already."""
    try:
        return codes[code]  # by name, which is the value too
    except KeyError:
        log.error("code %r is not a member of %s; answered as INTERNAL", code, codes.__name__)
        return codes["INTERNAL"]


@strawberry.interface(description="An expected failure: the operation changed nothing; `message` says why. "
                                  "Each payload's errors have their own type, whose `code` is an enum.")
class UserError:
    field: list[str] | None = strawberry.field(description="The path of the input field it concerns, if one.")
    message: str


def field_path(field: tuple[str | int, ...] | None) -> list[str] | None:
    return [str(part) for part in field] if field is not None else None
