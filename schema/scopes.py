"""Fields that need an API-key scope. A field outside the caller's scopes answers FORBIDDEN at its
own path and nothing else changes: a nullable field becomes null, a list becomes empty, and only
a non-null single value (a mutation's payload) lets the error travel up as GraphQL prescribes.

    @strawberry.field(extensions=[needs(Scope.STOCK_READ)])
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryList, StrawberryOptional

from domain.api_keys import Scope
from domain.errors import Forbidden
from schema.context import ctx

if TYPE_CHECKING:
    from strawberry.extensions.field_extension import AsyncExtensionResolver, SyncExtensionResolver
    from strawberry.types import Info


def missing_scope(subject: str, any_of: frozenset[Scope]) -> Forbidden:
    names = " or ".join(sorted(s.value for s in any_of))
    return Forbidden(f"{subject} needs the scope {names}, which this API key does not have.")


class RequiresScope(FieldExtension):
    def __init__(self, *any_of: Scope) -> None:
        self.any_of = frozenset(any_of)

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        if ctx(info).scopes.isdisjoint(self.any_of):
            return self._refuse(info)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        if ctx(info).scopes.isdisjoint(self.any_of):
            return self._refuse(info)
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result

    def _refuse(self, info: Info) -> Any:
        error = missing_scope(f"`{info.field_name}`", self.any_of)
        returns = info.return_type
        if isinstance(returns, StrawberryOptional):
            ctx(info).report(info.path.as_list(), error)
            return None
        if isinstance(returns, StrawberryList):
            ctx(info).report(info.path.as_list(), error)
            return []
        raise error


def needs(*any_of: Scope) -> RequiresScope:
    return RequiresScope(*any_of)
