"""Builds the concrete adapters from settings: the only module that knows them all."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from adapters import ebay, medusa, woocommerce
from adapters.ebay import EbayAdapter
from adapters.http import BackendHttp, CallRecorder, new_client
from adapters.medusa import MedusaAdapter
from adapters.odoo import Json2Transport, JsonRpcTransport, OdooAdapter
from adapters.odoo.transports import describe_json2_error
from adapters.woocommerce import WooCommerceAdapter
from domain.channels import Channel
from gateway.settings import Settings
from resolvers.backends import Backends
from resolvers.rules import (
    CONTENT_FIELDS,
    CONTENT_ROLES,
    CatalogRules,
    ChannelRules,
    PriceSource,
    StockSource,
)


@dataclass(slots=True)
class Wired:
    backends: Backends
    clients: list[httpx.AsyncClient]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def wire_backends(settings: Settings, record: CallRecorder | None = None) -> Wired:
    """The four adapters; `record` (the metrics) hears of every backend call."""
    b = settings.backends
    woo_auth = httpx.BasicAuth(b.woocommerce.consumer_key, b.woocommerce.consumer_secret) \
        if b.woocommerce.auth == "basic" else None
    carrier = b.http_transport
    woo_client = new_client(b.woocommerce.base_url, auth=woo_auth, max_connections=b.woocommerce.max_connections,
                            transport=carrier)
    medusa_client = new_client(b.medusa.base_url, headers={"x-publishable-api-key": b.medusa.publishable_key},
                               max_connections=b.medusa.max_connections, transport=carrier)
    odoo_client = new_client(b.odoo.base_url, max_connections=b.odoo.max_connections, transport=carrier)
    ebay_client = new_client(b.ebay.base_url, max_connections=b.ebay.max_connections, transport=carrier)

    woo = WooCommerceAdapter(
        BackendHttp("woocommerce", woo_client, b.woocommerce.timeout_seconds, woocommerce.adapter.describe_error,
                    record),
        query_auth=(b.woocommerce.consumer_key, b.woocommerce.consumer_secret) if b.woocommerce.auth == "query"
        else None)
    app = MedusaAdapter(BackendHttp("medusa", medusa_client, b.medusa.timeout_seconds, medusa.adapter.describe_error,
                                    record),
                        region_id=b.medusa.region_id)
    odoo_http = BackendHttp("odoo", odoo_client, b.odoo.timeout_seconds, describe_json2_error, record)
    transport = (Json2Transport(odoo_http, api_key=b.odoo.api_key, database=b.odoo.database)
                 if b.odoo.transport == "json2"
                 else JsonRpcTransport(odoo_http, database=b.odoo.database, login=b.odoo.login,
                                       api_key=b.odoo.api_key))
    erp = OdooAdapter(transport, brand_field=b.odoo.brand_field)
    marketplace = EbayAdapter(BackendHttp("ebay", ebay_client, b.ebay.timeout_seconds, ebay.adapter.describe_error,
                                          record),
                              access_token=b.ebay.access_token, marketplace_id=b.ebay.marketplace_id,
                              offer_concurrency=b.ebay.offer_concurrency)
    return Wired(Backends(erp=erp, content=woo, app=app, marketplace=marketplace),
                 [woo_client, medusa_client, odoo_client, ebay_client])


def catalog_rules(settings: Settings) -> CatalogRules:
    channels = {
        Channel.parse(code): ChannelRules(
            channel=Channel.parse(code), name=c.name, currency=c.currency,
            price_source=PriceSource(c.price_source), pricelist_id=c.pricelist_id or None,
            stock_source=StockSource(c.stock_source), stock_warehouses=tuple(c.stock_warehouses))
        for code, c in settings.channels.items()
    }
    return CatalogRules(
        channels=channels,
        ownership={**dict.fromkeys(CONTENT_FIELDS, CONTENT_ROLES), **settings.catalog.ownership_roles()},
        pickup_ready_within=settings.catalog.pickup_ready_within,
        pickup_warehouses=tuple(settings.catalog.pickup_warehouses),
        default_channel=Channel.parse(settings.catalog.default_channel),
        changes_settle_seconds=settings.catalog.changes_settle_seconds,
    )
