"""An in-memory saved-list store with MongoDB's rules (a version-checked replace; unique ids,
default lists, slots and names per customer), and a cart world that has one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from domain.errors import ListConflict
from domain.lists import ListRules, ListStatus, SavedList, Watch, name_key
from resolvers.context import RequestContext
from tests.unit.cart_fakes import CartWorld

Hook = Callable[[SavedList], Awaitable[None]]


@dataclass
class MemoryListStore:
    lists: dict[str, SavedList] = field(default_factory=dict)
    before_write: Hook | None = None  # runs before each write lands: to fail it
    after_write: Hook | None = None   # runs after a write landed: to fail as a timeout after the store applied it

    async def prepare(self) -> None:
        pass

    async def get(self, list_id: str) -> SavedList | None:
        return self.lists.get(list_id)

    async def of_customer(self, customer_id: str) -> list[SavedList]:
        return sorted((s for s in self.lists.values() if s.customer_id == customer_id
                       and s.status is ListStatus.ACTIVE), key=lambda s: (s.created_at, s.list_id))

    async def insert(self, saved: SavedList) -> None:
        await self._hook(self.before_write, saved)
        if saved.list_id in self.lists or self._taken(saved):
            raise ListConflict("the place is taken")
        await self._store(saved)

    async def replace(self, saved: SavedList) -> bool:
        await self._hook(self.before_write, saved)
        stored = self.lists.get(saved.list_id)
        if stored is None or stored.version != saved.version - 1:
            return False
        await self._store(saved)
        return True

    async def watching(self, skus: Collection[str], after: str | None, limit: int) -> list[Watch]:
        return [Watch(s.customer_id, s.list_id, i) for s in sorted(self.lists.values(), key=lambda s: s.list_id)
                if s.customer_id and s.status is ListStatus.ACTIVE for i in s.items if i.sku in skus][:limit]

    async def skus_saved_by(self, customer_id: str) -> set[str]:
        return {i.sku for s in await self.of_customer(customer_id) for i in s.items}

    def _taken(self, saved: SavedList) -> bool:
        if saved.customer_id is None or saved.slot is None:
            return False
        mine = [s for s in self.lists.values() if s.customer_id == saved.customer_id and s.slot is not None]
        return any(s.slot == saved.slot or name_key(s.name) == name_key(saved.name) for s in mine)

    async def _store(self, saved: SavedList) -> None:
        self.lists[saved.list_id] = saved
        await self._hook(self.after_write, saved)

    @staticmethod
    async def _hook(hook: Hook | None, saved: SavedList) -> None:
        if hook is not None:
            await hook(saved)


@dataclass
class ListWorld(CartWorld):
    list_rules: ListRules = field(default_factory=ListRules)
    saved: MemoryListStore = field(default_factory=MemoryListStore)

    def context(self, *args, **kwargs) -> RequestContext:  # type: ignore[no-untyped-def]
        ctx = super().context(*args, **kwargs)
        ctx.services.lists = self.saved
        ctx.services.list_rules = self.list_rules
        return ctx
