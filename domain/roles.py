"""The parts a backend plays for the gateway. Above the adapters, code speaks of these roles; the
composition root (gateway/wiring.py) chooses the adapter playing each, and that adapter's `name`
labels what it supplied (`sources`, price and stock provenance, change feeds, errors)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    WEB_SHOP = "web-shop"     # product content, coupons
    APP_BACKEND = "app"       # the mobile app's content, prices and promotions
    ERP = "erp"               # assortment, list and channel prices, stock, orders
    MARKETPLACE = "marketplace"  # marketplace offers and their stock pool

    @property
    def phrase(self) -> str:
        """The role as a message names it: "the ERP"."""
        return _PHRASES[self]


_PHRASES = {Role.WEB_SHOP: "the web-shop", Role.APP_BACKEND: "the app backend", Role.ERP: "the ERP",
           Role.MARKETPLACE: "the marketplace"}

