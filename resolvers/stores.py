"""The ERP's warehouses and stores, read once and refreshed after a TTL, shared by all requests."""

from __future__ import annotations

import asyncio
import logging
import time

from domain.ports import ErpBackend
from domain.records import GeoPoint, Warehouse
from resolvers.geo import distance_km

log = logging.getLogger(__name__)


class StoreDirectory:
    def __init__(self, erp: ErpBackend, *, pickup_codes: tuple[str, ...] = (), ttl_seconds: float = 300.0) -> None:
        self.erp = erp
        self.pickup_codes = pickup_codes
        self.ttl_seconds = ttl_seconds
        self._warehouses: dict[str, Warehouse] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def warehouses(self) -> dict[str, Warehouse]:
        """By code. Concurrent callers share one ERP read; a failed refresh keeps serving the last list."""
        if time.monotonic() - self._loaded_at < self.ttl_seconds:
            return self._warehouses
        async with self._lock:
            if time.monotonic() - self._loaded_at >= self.ttl_seconds:
                try:
                    self._warehouses = {w.code: w for w in await self.erp.warehouses()}
                    self._loaded_at = time.monotonic()
                except Exception:
                    if not self._warehouses:
                        raise
                    log.warning("warehouse refresh failed; serving the previous list", exc_info=True)
        return self._warehouses

    async def pickup_stores(self) -> list[Warehouse]:
        """Configured codes, or else every warehouse the ERP gives coordinates."""
        warehouses = await self.warehouses()
        if self.pickup_codes:
            return [warehouses[c] for c in self.pickup_codes if c in warehouses]
        return [w for w in warehouses.values() if w.location is not None]

    async def pickup_store(self, code: str) -> Warehouse | None:
        """The pickup store of `code`; None for an unknown code and for a warehouse that is no store."""
        return next((s for s in await self.pickup_stores() if s.code == code), None)

    async def location_ids(self, codes: tuple[str, ...]) -> tuple[int, ...]:
        warehouses = await self.warehouses()
        unknown = [c for c in codes if c not in warehouses]
        if unknown:
            log.warning("configured warehouse codes unknown to the ERP: %s", ", ".join(unknown))
        return tuple(warehouses[c].stock_location_id for c in codes if c in warehouses)

    async def nearest(self, near: GeoPoint | None, limit: int) -> list[tuple[Warehouse, float | None]]:
        return sort_by_distance(await self.pickup_stores(), near)[:limit]


def sort_by_distance(stores: list[Warehouse], near: GeoPoint | None) -> list[tuple[Warehouse, float | None]]:
    if near is None:
        return [(s, None) for s in sorted(stores, key=lambda s: s.name)]
    with_distance = [(s, distance_km(near, s.location) if s.location else None) for s in stores]
    return sorted(with_distance, key=lambda pair: (pair[1] is None, pair[1] or 0.0, pair[0].name))
