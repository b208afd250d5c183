"""The merge, price and stock rules a retailer configures, as the resolvers see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.channels import Channel
from domain.roles import Role

CONTENT_FIELDS = ("title", "description", "brand", "categories", "images", "attributes")
CONTENT_ROLES = (Role.WEB_SHOP, Role.APP_BACKEND, Role.ERP)  # the roles that may own content, default order


class PriceSource(StrEnum):
    ERP = "erp"              # ERP list price, or the channel's ERP pricelist where its rules price the variant
    APP = "app"              # the app backend's calculated price, promotions as compareAtPrice
    MARKETPLACE = "marketplace"  # the marketplace offer's price


class StockSource(StrEnum):
    ERP = "erp"              # on hand − reserved, summed over the channel's warehouses
    MARKETPLACE = "marketplace"  # the marketplace's own stock pool


@dataclass(frozen=True, slots=True)
class ChannelRules:
    channel: Channel
    name: str
    currency: str
    price_source: PriceSource = PriceSource.ERP
    pricelist_id: int | None = None
    stock_source: StockSource = StockSource.ERP
    stock_warehouses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogRules:
    channels: dict[Channel, ChannelRules]
    ownership: dict[str, tuple[Role, ...]] = field(  # content field -> the roles supplying it, in order
        default_factory=lambda: dict.fromkeys(CONTENT_FIELDS, CONTENT_ROLES))
    pickup_ready_within: str = "PT2H"
    pickup_warehouses: tuple[str, ...] = ()
    default_channel: Channel = Channel.WEB
    changes_settle_seconds: float = 2.0  # delta sync reports a change once it is this old

    def for_channel(self, channel: Channel) -> ChannelRules:
        return self.channels[channel]
