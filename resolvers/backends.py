"""The set of backends one gateway talks to, as ports, one per role."""

from __future__ import annotations

from dataclasses import dataclass

from domain.ports import AppBackend, Backend, ContentBackend, ErpBackend, MarketplaceBackend
from domain.roles import Role


@dataclass(frozen=True, slots=True)
class Backends:
    erp: ErpBackend
    content: ContentBackend  # the web-shop
    app: AppBackend
    marketplace: MarketplaceBackend

    def all(self) -> tuple[ErpBackend | ContentBackend | AppBackend | MarketplaceBackend, ...]:
        return (self.erp, self.content, self.app, self.marketplace)

    def of(self, role: Role) -> Backend:
        """The backend playing `role`."""
        match role:
            case Role.WEB_SHOP:
                return self.content
            case Role.APP_BACKEND:
                return self.app
            case Role.ERP:
                return self.erp
            case Role.MARKETPLACE:
                return self.marketplace

    def roles(self) -> dict[str, Role]:
        """Each backend's adapter name and the role it plays, for error messages."""
        return {self.of(role).name: role for role in Role}

    def name_of(self, role: Role) -> str:
        """The label of what `role` supplies (`sources`, price and stock provenance): its adapter's name."""
        return self.of(role).name
