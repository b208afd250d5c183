"""The customer's records and orders in each backend, over the simulators: the ERP's contact (read,
written, made), the web-shop's and the app backend's customers and their orders, and the windows the
order history pages with."""

from __future__ import annotations

import uuid
import httpx
import pytest

from adapters.medusa.customers import NotConfigured
from domain.customers import ContactChanges, OrderWindow
from domain.errors import BackendError, BackendUnavailable
from domain.records import Address, OrderStatus
from simulators.customer_history import app_customers, orders_in, web_shop_customers
from simulators.order_history import order_history
from tests.adapters.test_odoo import json2

EVERYTHING = OrderWindow(None, frozenset(), 1_000)


def person_everywhere(catalog, index_at_least: int = 0):
    """A seeded customer the web-shop and the app both know, with orders in both."""
    web = {c.person.index: c for c in web_shop_customers(catalog)}
    app = {c.person.index: c for c in app_customers(catalog)}
    web_buyers = {o.customer for o in orders_in(catalog, "WEB")}
    app_buyers = {o.customer for o in orders_in(catalog, "APP")}
    index = min(i for i in web.keys() & app.keys() & web_buyers & app_buyers if i >= index_at_least)
    return order_history(catalog).customers[index], web[index], app[index]


def partner(url: str, customer_id: str) -> dict:
    [found] = json2(url, "res.partner", "search_read", domain=[["ref", "=", customer_id]],
                    fields=["name", "phone", "street", "city", "zip", "country_code", "x_accepts_marketing", "email"])
    return found


# the ERP's contact

async def test_the_erp_contact_is_found_by_the_customer_id_with_its_name_split(backends, catalog):
    person, _, _ = person_everywhere(catalog)
    found = await backends.erp.contact_of(person.ref, None)
    assert (found.backend, found.email, found.first_name, found.last_name) == (
        "odoo", person.email, person.first_name, person.last_name)
    assert found.addresses == (Address(person.street, person.city, person.zip, person.country_code),)
    assert found.accepts_marketing is person.accepts_marketing


async def test_a_guest_contact_is_found_by_verified_email_but_never_another_customers(backends, simulators):
    # given a guest's contact (no customer id) and a customer's contact, both with an e-mail
    url = simulators["odoo"].url
    guest_mail, owned_mail = f"guest-{uuid.uuid4().hex[:8]}@example.com", f"own-{uuid.uuid4().hex[:8]}@example.com"
    json2(url, "res.partner", "create", vals_list=[{"name": "Gus Guest", "email": guest_mail}])
    json2(url, "res.partner", "create", vals_list=[{"name": "Olga Owner", "email": owned_mail, "ref": "cust-owner"}])
    # when a new customer's e-mail (any letter case) is one of them
    by_guest_mail = await backends.erp.contact_of("cust-new-1", guest_mail.upper())
    by_owned_mail = await backends.erp.contact_of("cust-new-2", owned_mail)
    # then the guest's contact is theirs, the other customer's is not
    assert (by_guest_mail.first_name, by_guest_mail.last_name) == ("Gus", "Guest")
    assert by_owned_mail is None


async def test_a_write_reaches_the_contact_and_a_customer_without_one_gets_one(backends, simulators, catalog):
    url = simulators["odoo"].url
    person = order_history(catalog).customers[40]
    # when the seeded customer changes their last name, phone and consent, and a new customer their name
    await backends.erp.write_contact(person.ref, None, ContactChanges(
        last_name="Byron", phone="+44 20 7946 0000", accepts_marketing=not person.accepts_marketing,
        address=Address("Rue de Rivoli 1", "Paris", "75001", "FR")))
    newcomer = f"cust-{uuid.uuid4().hex[:8]}"
    await backends.erp.write_contact(newcomer, "newcomer@example.com", ContactChanges(first_name="Nia"))
    # then Odoo holds the changes, read through its own API
    written = partner(url, person.ref)
    assert (written["name"], written["phone"], written["x_accepts_marketing"]) == (
        f"{person.first_name} Byron", "+44 20 7946 0000", not person.accepts_marketing)
    assert (written["street"], written["city"], written["country_code"]) == ("Rue de Rivoli 1", "Paris", "FR")
    made = partner(url, newcomer)
    assert (made["name"], made["email"]) == ("Nia", "newcomer@example.com")


async def test_odoo_refuses_a_field_it_lacks_as_odoo_does(simulators, make_backends, catalog):
    # a consent field this installation does not have is named in Odoo's error
    erp = make_backends(CGW_BACKENDS__ODOO__MARKETING_CONSENT_FIELD="x_no_such_field").erp
    with pytest.raises(BackendError, match="x_no_such_field"):
        await erp.write_contact(order_history(catalog).customers[41].ref, None,
                                ContactChanges(accepts_marketing=True))


# orders, and the windows the history pages with

async def test_the_erp_history_leaves_out_the_copies_of_the_channels_read_elsewhere(backends, catalog):
    person, _, _ = person_everywhere(catalog)
    every = await backends.erp.order_history(person.ref, EVERYTHING, [])
    own = await backends.erp.order_history(person.ref, EVERYTHING, ["WEB", "APP"])
    seeded = [o for o in order_history(catalog).orders if o.customer == person.index]
    assert len(every) == len(seeded)
    assert [o.created_at for o in every] == sorted((o.created_at for o in every), reverse=True)
    assert {o.channel for o in own} <= {"STORE", "CALL_CENTER"}
    assert len(own) == sum(o.channel not in ("WEB", "APP") for o in seeded)
    web_copy = next(o for o in every if o.channel == "WEB")
    assert web_copy.links[0].startswith("WC-") and web_copy.status is OrderStatus.CONFIRMED


@pytest.mark.parametrize("system", ["erp", "content", "app"])
async def test_a_window_reads_that_second_and_older_but_the_orders_seen(backends, catalog, system):
    person, web, app = person_everywhere(catalog)
    source = getattr(backends, system)

    async def read(window):
        if system == "erp":
            return await source.order_history(person.ref, window, [])
        return await source.order_history((web if system == "content" else app).key, window)

    every = await read(EVERYTHING)
    assert len(every) >= 2
    second, middle = every[1].created_at, every[1]
    window = OrderWindow(second, frozenset({middle.key}), 1_000)
    assert [o.key for o in await read(window)] == [o.key for o in every[2:]]
    assert [o.key for o in await read(OrderWindow(every[0].created_at, frozenset(), 1))] == [every[0].key]


async def test_the_web_shop_customer_is_found_by_the_exact_address_in_any_case(backends, catalog):
    person, web, _ = person_everywhere(catalog)
    found = await backends.content.customer_by_email(person.email.upper())
    assert (found.backend, found.key, found.email, found.last_name) == ("woocommerce", web.key, web.email,
                                                                        person.last_name)
    assert await backends.content.customer_by_email("x" + person.email) is None
    wholesale = next(c for c in web_shop_customers(catalog) if c.group)
    assert (await backends.content.customer_by_email(wholesale.email)).groups == ("wholesale_customer",)


async def test_web_shop_orders_are_the_customers_newest_first(backends, catalog):
    person, web, _ = person_everywhere(catalog)
    found = await backends.content.order_history(web.key, EVERYTHING)
    mine = [o for o in orders_in(catalog, "WEB") if o.customer == person.index]
    assert sorted(o.number for o in found) == sorted(str(20_000 + o.index) for o in mine)
    assert [o.created_at for o in found] == sorted((o.created_at for o in found), reverse=True)
    assert all(o.channel == "WEB" and o.currency == "EUR" and o.lines for o in found)


async def test_the_app_customer_is_found_by_a_fuzzy_search_checked_for_the_address(backends, catalog):
    # the app keeps one customer's address with a capital letter: still theirs
    shouted = next(c for c in app_customers(catalog) if c.email[0].isupper())
    found = await backends.app.customer_by_email(shouted.email.lower())
    assert (found.backend, found.key) == ("medusa", shouted.key)
    vip = next(c for c in app_customers(catalog) if c.group)
    assert (await backends.app.customer_by_email(vip.email)).groups == ("VIP",)
    assert await backends.app.customer_by_email(vip.email.split("@")[0] + "@example.org") is None


async def test_app_orders_need_the_secret_key(make_backends, catalog, simulators):
    _, _, app = person_everywhere(catalog)
    found = await make_backends().app.order_history(app.key, EVERYTHING)
    assert found and all(o.channel == "APP" and o.status in OrderStatus for o in found)
    with pytest.raises(NotConfigured):
        await make_backends(CGW_BACKENDS__MEDUSA__SECRET_API_KEY="").app.order_history(app.key, EVERYTHING)
    with pytest.raises(BackendUnavailable, match="credentials"):
        await make_backends(CGW_BACKENDS__MEDUSA__SECRET_API_KEY="sk_wrong").app.customer_by_email(app.email)
    # the Admin API answers 401 to a request without the key
    assert httpx.get(f"{simulators['medusa'].url}/admin/customers").status_code == 401


def test_the_web_shop_lists_customers_as_woocommerce_does(simulators, catalog):
    # the default role filter is `customer`: a wholesale customer is found with role=all or their role
    url, auth = f"{simulators['woocommerce'].url}/wp-json/wc/v3/customers", ("ck_demo", "cs_demo")
    wholesale = next(c for c in web_shop_customers(catalog) if c.group)
    assert httpx.get(url, params={"email": wholesale.email}, auth=auth).json() == []
    [found] = httpx.get(url, params={"email": wholesale.email, "role": "all"}, auth=auth).json()
    assert httpx.get(f"{url}/{found['id']}", auth=auth).json()["role"] == "wholesale_customer"
    page = httpx.get(url, params={"role": "all", "per_page": 5, "page": 2}, auth=auth)
    total = len(web_shop_customers(catalog))
    assert (len(page.json()), page.headers["X-WP-Total"], page.headers["X-WP-TotalPages"]) == (
        5, str(total), str(-(-total // 5)))
    assert httpx.get(url, params={"email": "not-an-address"}, auth=auth).status_code == 400
    assert httpx.get(url).status_code == 401
