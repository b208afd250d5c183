"""Roles, not vendors, above the adapters: resolvers and schema speak of the web-shop, app backend, ERP
and marketplace, and label what each supplied with its adapter's name."""

from __future__ import annotations

import pytest

from domain.roles import Role
from gateway.settings import SettingsError, load_settings
from gateway.wiring import catalog_rules


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
