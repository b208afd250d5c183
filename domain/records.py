"""Records exchanged between layers. Money is Decimal; currencies are ISO 4217 codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from domain.errors import RecordError


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    alt_text: str | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None
    city: str | None
    zip: str | None
    country_code: str | None


@dataclass(frozen=True, slots=True)
class ErpProduct:
    """A product template in the ERP; the ERP owns the assortment and the SKUs."""

    erp_id: int
    sku: str
    title: str
    gtin: str | None
    list_price: Decimal
    category: str | None
    brand: str | None
    description: str | None
    updated_at: datetime | None
    variant_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ErpVariant:
    erp_id: int
    sku: str
    gtin: str | None
    product_erp_id: int
    list_price: Decimal
    option_value_ids: tuple[int, ...]
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class VariantOption:
    erp_id: int
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class ContentRecord:
    """Rich content for one product as one backend knows it. It is the content of the ERP product
    whose SKU is `sku`, or else of the one with a variant whose SKU is among `variant_skus`."""

    backend: str
    sku: str | None  # the product's own SKU in that backend, if it has one
    title: str | None = None
    description: str | None = None
    brand: str | None = None
    categories: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    gtin: str | None = None
    updated_at: datetime | None = None
    shop_product_id: int | None = None  # the web-shop's id of the product (coupon product restrictions)
    category_ids: tuple[int, ...] = ()  # the web-shop's ids of its categories (coupon category restrictions)
    on_sale: bool = False  # the web-shop sells it at a sale price (coupons may exclude sale items)
    variant_skus: tuple[str, ...] = ()  # the SKUs of its variants in that backend (at least those asked for)


@dataclass(frozen=True, slots=True)
class AppVariant:
    """A variant as the mobile-app backend prices it for the configured region."""

    sku: str
    price: Decimal | None
    original_price: Decimal | None
    currency: str | None
    product: ContentRecord


@dataclass(frozen=True, slots=True)
class PriceListEntry:
    variant_erp_id: int
    price: Decimal
    min_quantity: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class StockQuant:
    variant_erp_id: int
    location_erp_id: int
    quantity: Decimal
    reserved: Decimal


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A stock-holding site: a distribution centre or a physical store."""

    code: str
    name: str
    stock_location_id: int
    address: Address | None = None
    location: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class MarketplaceItem:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class MarketplaceOffer:
    sku: str
    price: Money
    available_quantity: int | None
    offer_id: str | None = None  # what a price and quantity update names


@dataclass(frozen=True, slots=True)
class PriceQuantityUpdate:
    """What to set on one marketplace offer: its SKU's quantity and the offer's price (None: left as is)."""

    sku: str
    offer_id: str
    quantity: int | None = None
    price: Money | None = None


@dataclass(frozen=True, slots=True)
class PriceQuantityUpdated:
    sku: str
    offer_id: str | None


@dataclass(frozen=True, slots=True)
class MarketplaceOrderLine:
    line_id: str
    sku: str
    quantity: int
    cost: Money


@dataclass(frozen=True, slots=True)
class MarketplaceOrder:
    order_id: str
    created_at: datetime
    modified_at: datetime
    fulfillment_status: str
    payment_status: str
    total: Money
    buyer: str | None
    lines: tuple[MarketplaceOrderLine, ...]
    paid: bool = False  # paid for: to ship (the marketplace's statuses read by its adapter)
    cancelled: bool = False  # cancelled, or refunded in full


def marketplace_sku(record: MarketplaceItem | MarketplaceOffer | RecordError) -> str:
    """The SKU a marketplace record, or the error standing in its place, is for."""
    return record.key if isinstance(record, RecordError) else record.sku


class ProductSortKey(StrEnum):
    """How a page of the assortment is ordered; ties break by ID."""

    ID = "ID"
    TITLE = "TITLE"
    PRICE = "PRICE"
    UPDATED_AT = "UPDATED_AT"


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """One page of the assortment; filters are evaluated by the ERP."""

    offset: int
    limit: int
    text: str | None = None
    category: str | None = None
    brand: str | None = None
    in_stock: bool | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    sort_key: ProductSortKey = ProductSortKey.ID
    reverse: bool = False
    stock_location_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ProductPage:
    products: tuple[ErpProduct, ...]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Coupon:
    """A web-shop coupon: `percent` of the cart, `fixed_cart` off the cart, `fixed_product` off each unit."""

    code: str
    discount_type: str
    amount: Decimal
    expires_at: datetime | None
    minimum_amount: Decimal
    usage_limit: int | None
    usage_count: int  # the web-shop's own count; the gateway's redemptions are counted on top
    maximum_amount: Decimal = Decimal(0)  # 0: none
    usage_limit_per_user: int | None = None  # by customer id and by e-mail
    individual_use: bool = False  # no other code with it
    email_restrictions: tuple[str, ...] = ()  # lower case; `*` matches any run of characters
    product_ids: tuple[int, ...] = ()  # the web-shop's product ids
    excluded_product_ids: tuple[int, ...] = ()
    product_categories: tuple[int, ...] = ()  # the web-shop's category ids
    excluded_product_categories: tuple[int, ...] = ()
    exclude_sale_items: bool = False
    limit_usage_to_x_items: int | None = None  # a product coupon lowers at most this many units; None: all
    used_by: tuple[str, ...] = ()  # the web-shop's record of who used it: user ids and e-mails

    @property
    def restricts_items(self) -> bool:
        return bool(self.product_ids or self.excluded_product_ids or self.product_categories
                    or self.excluded_product_categories or self.exclude_sale_items)


@dataclass(frozen=True, slots=True)
class OrderLine:
    variant_erp_id: int
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """An order to create in the ERP, once: `reference` (the cart id) makes a retry find it instead."""

    reference: str
    channel: str
    customer_id: str | None  # the gateway's customer, kept on the ERP contact as its reference
    email: str
    name: str
    address: Address | None  # shipping address, or None for pickup
    warehouse_code: str | None  # the pickup store
    lines: tuple[OrderLine, ...]
    note: str | None
    payment_reference: str
    partner_erp_id: int | None = None  # the ERP contact the order is for, when set (not found by customer or e-mail)


class OrderStatus(StrEnum):
    """One scale for every system's order statuses (README: Customer profile and order history)."""

    PENDING = "PENDING"        # not placed or not paid yet (a quotation, a pending payment, a draft)
    ON_HOLD = "ON_HOLD"        # placed, waiting for the shop (payment to confirm, an action required)
    CONFIRMED = "CONFIRMED"    # placed and being fulfilled
    COMPLETED = "COMPLETED"    # fulfilled (or closed after fulfilment)
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    FAILED = "FAILED"          # payment failed
    UNKNOWN = "UNKNOWN"        # a status the gateway has no mapping for (`systemStatus` says which)


@dataclass(frozen=True, slots=True)
class ErpOrder:
    erp_id: int
    number: str
    state: str
    reference: str | None
    channel: str | None
    total: Decimal
    currency: str
    created_at: datetime | None
    lines: tuple[OrderLine, ...]
    warehouse_code: str | None = None
    status: OrderStatus = OrderStatus.UNKNOWN  # `state` on the history's one scale


class ChangeAspect(StrEnum):
    """What a change feed can vouch for having changed."""

    CONTENT = "CONTENT"
    PRICE = "PRICE"
    STOCK = "STOCK"


@dataclass(frozen=True, slots=True)
class CatalogInvalidation:
    """What one read of the backends' change feeds found, for the answers kept from before it: the
    ERP products that changed and how, whether the assortment itself changed (a product added,
    removed or re-sorted: any page of it may hold others now), what changed of every product (a
    pricelist rule for a category or for all products), and the stock figures to read again."""

    products: tuple[tuple[int, frozenset[ChangeAspect]], ...] = ()
    assortment: bool = False
    variant_ids: tuple[int, ...] = ()   # ERP stock figures of these variants
    variant_skus: tuple[str, ...] = ()  # marketplace pool figures of these variants
    every_product: frozenset[ChangeAspect] = frozenset()

    @property
    def aspects(self) -> frozenset[ChangeAspect]:
        return frozenset(a for _, aspects in self.products for a in aspects) | self.every_product


@dataclass(frozen=True, slots=True)
class LoggedInvalidation:
    """A CatalogInvalidation as the log of them holds it: its id and when it was published."""

    id: str
    at: datetime
    change: CatalogInvalidation


@dataclass(frozen=True, slots=True)
class ChangeMark:
    """How far a change feed has been read: the last change's time and record key (ties in time)."""

    at: datetime
    key: int | str

    @property
    def passed_instant(self) -> bool:
        """The feed has been read past every change of the mark's instant (a burst passed over)."""
        return self.key == PAST_EVERY_KEY


@dataclass(frozen=True, slots=True)
class RecordChange:
    """One backend record changed at `at`; it belongs to the product with `sku`, to the ERP product
    template `product_erp_id`, or to the product of the variant with `variant_sku`, whichever the
    record carries; or, `every_product`, to no one product: it may have changed what its feed
    vouches for of every product (a pricelist rule for a category, or for all products)."""

    at: datetime
    key: int | str
    sku: str | None = None
    product_erp_id: int | None = None
    variant_sku: str | None = None
    variant_erp_id: int | None = None  # the one variant a stock record counts, when it names it
    removed: bool = False  # archived, or no longer sold
    every_product: bool = False

    @property
    def mark(self) -> ChangeMark:
        return ChangeMark(self.at, self.key)

    @property
    def order(self) -> tuple[bool, int | str]:
        """The key as it sorts among a feed's keys (numbers before text, never a TypeError)."""
        return key_order(self.key)

    def after(self, mark: ChangeMark | None) -> bool:
        return mark is None or (self.at, self.order) > (mark.at, key_order(mark.key))


PAST_EVERY_KEY = "\U0010ffff"  # a key after every other: a mark with it has passed its whole instant


def key_order(key: int | str) -> tuple[bool, int | str]:
    """Keys of one feed are all numbers or all text; a mark from a client may hold either."""
    return isinstance(key, str), key


class LiveEventKind(StrEnum):
    """What a live event says changed: a SKU's stock, price or content, or a cart."""

    STOCK = "stock"
    PRICE = "price"
    PRODUCT = "product"
    CART = "cart"


EVERY_SKU = "*"  # a live event's key when a change touches every product (a pricelist rule for all)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One change as every gateway process sees it, in the order of its id (subscriptions, partner
    webhooks and the marketplace push follow them). It names what changed, not the new figures: each
    reader reads those in its own channel and store. `key` is a SKU (or EVERY_SKU) or a cart id."""

    id: int
    at: datetime
    kind: LiveEventKind
    key: str
    version: int | None = None  # a cart's version after the write
