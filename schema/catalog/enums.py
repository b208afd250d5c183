"""The catalog's GraphQL enums, made from the domain's enums: one definition per concept, the
GraphQL values being the members' names."""

from __future__ import annotations

import strawberry

from domain.channels import Channel
from domain.records import ChangeAspect
from domain.records import ProductSortKey as DomainProductSortKey
from domain.recommendations import RecommendationReason

ChannelCode = Channel
strawberry.enum(Channel, name="ChannelCode", description="A sales channel; each sees its own prices and stock.")

ProductSortKey = DomainProductSortKey
strawberry.enum(DomainProductSortKey, name="ProductSortKey", description="How `products` sorts; ties break by ID.")

CatalogChangeAspect = ChangeAspect
strawberry.enum(ChangeAspect, name="CatalogChangeAspect",
                description="What a delta-sync change may have changed, by the backend record that changed.")

strawberry.enum(RecommendationReason, name="RecommendationReason",
                description="Why a product is recommended: bought with the product (or the cart's products), "
                            "with what the customer saved or bought, or among the channel's most ordered.")
