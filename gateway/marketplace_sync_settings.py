"""The `[marketplace_sync]` section of the settings (README: Marketplace sync), and what is wrong
with it. gateway/settings.py reads and validates it with the rest."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LOOKBACK_HOURS = 90 * 24


@dataclass(frozen=True)
class MarketplaceSyncSettings:
    enabled: bool = False  # push stock and prices to the marketplace and import its orders, in this process
    poll_seconds: float = 1.0  # the push follows the event log this often (and its lease lasts as long)
    reconcile_every_seconds: float = 900.0  # a full reconciliation against what the marketplace holds; 0: first pass only
    orders_poll_seconds: float = 30.0  # marketplace orders are read this often; 0: no import
    order_overlap_seconds: float = 120.0  # each read of orders starts this long before the last one began
    buffer: int = 2  # units of the ERP's sellable stock held back from the marketplace channel
    retry_base_seconds: float = 30.0  # the wait after a refused push or failed import, doubled after each
    retry_max_seconds: float = 1800.0
    erp_partner_id: int = 0  # the ERP contact (res.partner id) of every marketplace order; 0: one per buyer
    order_warehouse: str = ""  # the ERP warehouse code marketplace orders ship from; empty: the ERP's default
    first_import_lookback_hours: float = 0.0  # the first import also takes orders modified this long before it


def problem(s: MarketplaceSyncSettings) -> str | None:
    """The first thing wrong with the section, as one line naming the setting; None when all is well."""
    if s.poll_seconds <= 0:
        return "marketplace_sync.poll_seconds: must be above 0"
    for name in ("reconcile_every_seconds", "orders_poll_seconds", "order_overlap_seconds", "retry_base_seconds",
                 "retry_max_seconds", "erp_partner_id", "buffer"):
        if getattr(s, name) < 0:
            return f"marketplace_sync.{name}: must be 0 or more"
    if not 0 <= s.first_import_lookback_hours <= MAX_LOOKBACK_HOURS:
        return (f"marketplace_sync.first_import_lookback_hours: 0 to {MAX_LOOKBACK_HOURS} (the marketplace keeps "
                "90 days of orders)")
    if s.retry_base_seconds <= 0 or s.retry_max_seconds < s.retry_base_seconds:
        return "marketplace_sync.retry_base_seconds: above 0, and at most marketplace_sync.retry_max_seconds"
    return None
