"""The parts a backend plays for the gateway. Above the adapters, code speaks of these roles; which
system plays one is configuration, and its adapter's `name` labels what it supplied (`sources`,
price and stock provenance, errors)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    WEB_SHOP = "web-shop"     # product content, coupons
    APP_BACKEND = "app"       # the mobile app's content, prices and promotions
    ERP = "erp"               # assortment, list and channel prices, stock, orders
    MARKETPLACE = "marketplace"  # marketplace offers and their stock pool

    @classmethod
    def parse(cls, raw: str) -> Role:
        """Accepts any letter case; raises ValueError naming the allowed roles."""
        try:
            return cls(raw.strip().lower())
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {raw!r}; allowed: {allowed}") from None
