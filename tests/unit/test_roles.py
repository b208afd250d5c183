"""Roles, not vendors, above the adapters: resolvers and schema speak of the web-shop, app backend, ERP
and marketplace, and label what each supplied with its adapter's name."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest

from domain.api_keys import Scope
from domain.channels import Channel
from domain.records import AppVariant, ContentRecord, MarketplaceItem, MarketplaceOffer, StockQuant
from domain.roles import Role
from gateway.settings import SettingsError, load_settings
from gateway.wiring import catalog_rules
from schema.schema import build_schema
from tests.unit.fakes import (
    BERLIN,
    DC,
    MUNICH,
    FakeApp,
    FakeContent,
    FakeErp,
    FakeMarketplace,
    World,
    money,
    product,
    variant,
)

ROOT = Path(__file__).resolve().parents[2]
# the backends' adapter packages (the gateway's own store is no backend role)
VENDORS = sorted(p.name for p in (ROOT / "adapters").iterdir() if (p / "__init__.py").is_file() and p.name != "mongo")
ABOVE_ADAPTERS = ("resolvers", "schema")

SCHEMA = build_schema()
SOURCES = """{ products(first: 1) { nodes { sources { field backend } variants { stock { source } } } } }"""


def _literals(tree: ast.Module) -> list[ast.Constant]:
    """The string literals of a module (f-string parts included), but its docstrings."""
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_vendor_is_named_in_a_literal_above_the_adapters():
    # given the vendors the adapters speak to
    assert VENDORS == ["ebay", "medusa", "odoo", "woocommerce"]
    vendor = re.compile(rf"\b({'|'.join(VENDORS)})\b", re.IGNORECASE)
    # when every string literal of resolvers/ and schema/ is read
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
             for package in ABOVE_ADAPTERS for path in sorted((ROOT / package).rglob("*.py"))
             for node in _literals(ast.parse(path.read_text(), str(path))) if vendor.search(node.value)]
    # then none names one: they speak of roles, and labels come from the adapters' names
    assert found == []


@pytest.fixture
def world() -> World:
    # given adapters named otherwise than the ones the gateway ships
    w = World(erp=FakeErp(name="acme-erp", sites=[DC, BERLIN, MUNICH]), content=FakeContent(name="acme-shop"),
              app=FakeApp(name="acme-app"), marketplace=FakeMarketplace(name="acme-market"))
    w.erp.products = [product(1, "P-1", variant_ids=(10,))]
    w.erp.variants = [variant(10, "P-1-M", 1, "20.00")]
    w.erp.quants = [StockQuant(10, 11, Decimal(7), Decimal(2))]
    w.content.records = [ContentRecord(backend="acme-shop", sku="P-1", title="Shop title")]
    w.app.records = [AppVariant("P-1-M", Decimal("15.00"), Decimal("20.00"), "EUR",
                                ContentRecord(backend="acme-app", sku="p-1", description="App text"))]
    w.marketplace.items = [MarketplaceItem("P-1-M", 4)]
    w.marketplace.offers = [MarketplaceOffer("P-1-M", money("22.99"), 4)]
    return w


async def _sources(world: World, channel: Channel) -> tuple[dict[str, str], str]:
    context = world.context(channel)
    context.scopes = frozenset(Scope)
    result = await SCHEMA.execute(SOURCES, context_value=context)
    assert result.errors is None
    node = result.data["products"]["nodes"][0]
    return {s["field"]: s["backend"] for s in node["sources"]}, node["variants"][0]["stock"]["source"]


CONTENT = {"sku": "acme-erp", "variants": "acme-erp", "title": "acme-shop", "description": "acme-app",
           "brand": "acme-erp", "categories": "acme-erp"}


@pytest.mark.parametrize(("channel", "price", "stock"), [
    (Channel.WEB, "acme-erp", "acme-erp"),
    (Channel.APP, "acme-app", "acme-erp"),
    (Channel.MARKETPLACE, "acme-market", "acme-market"),
])
async def test_sources_and_provenance_are_labelled_with_the_adapters_names(world, channel, price, stock):
    # when a product's sources and its variant's stock are asked in the channel
    sources, stock_source = await _sources(world, channel)
    # then each field group names the adapter that supplied it: content by its ownership order
    # (web-shop, app backend, ERP), price and stock by the channel's rules
    assert sources == {**CONTENT, "price": price, "stock": stock}
    assert stock_source == stock



@pytest.mark.parametrize(("order", "roles"), [
    ('["erp", "web-shop"]', (Role.ERP, Role.WEB_SHOP)),
    ('["odoo", "woocommerce"]', (Role.ERP, Role.WEB_SHOP)),  # as files written before roles say it
    ('["App", "medusa", "ERP"]', (Role.APP_BACKEND, Role.APP_BACKEND, Role.ERP)),
])
def test_field_ownership_is_configured_by_role_or_by_the_backends_name(order, roles):
    # when the settings name the owners of the title
    rules = catalog_rules(load_settings(environ={"CGW_CONFIG": "/dev/null", "CGW_CATALOG__OWNERSHIP__TITLE": order}))
    # then the title is owned by those roles, and other fields keep the default order
    assert rules.ownership["title"] == roles
    assert rules.ownership["brand"] == (Role.WEB_SHOP, Role.APP_BACKEND, Role.ERP)


@pytest.mark.parametrize("order", ['["marketplace"]', '["ebay"]', '["shopify"]', "[]"])
def test_only_the_content_roles_can_own_a_content_field(order):
    # the marketplace holds no product content; an unknown name or an empty order is refused too
    expected = "catalog.ownership.title: a non-empty list of the roles web-shop, app, erp "
    with pytest.raises(SettingsError, match=expected):
        load_settings(environ={"CGW_CONFIG": "/dev/null", "CGW_CATALOG__OWNERSHIP__TITLE": order})
