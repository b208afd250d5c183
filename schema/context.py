"""Reaching the request's resolver context from a field, and reporting backend failures."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from domain.errors import BackendError

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import RequestContext


def ctx(info: Info) -> RequestContext:
    return info.context


async def guarded[T](info: Info, work: Awaitable[T], fallback: Any = None) -> T | Any:
    """Returns `fallback` when a backend fails, and reports the failure at this field's path.

    Non-null fields use it so one backend cannot null their parents (and so a
    whole product list); nullable fields get null plus the same error.
    """
    try:
        return await work
    except BackendError as exc:
        ctx(info).report(info.path.as_list(), exc)
        return fallback
