"""The set of backends one gateway talks to, as ports."""

from __future__ import annotations

from dataclasses import dataclass

from domain.ports import AppBackend, ContentBackend, ErpBackend, MarketplaceBackend


@dataclass(frozen=True, slots=True)
class Backends:
    erp: ErpBackend
    content: ContentBackend
    app: AppBackend
    marketplace: MarketplaceBackend

    def all(self) -> tuple[ErpBackend | ContentBackend | AppBackend | MarketplaceBackend, ...]:
        return (self.erp, self.content, self.app, self.marketplace)
