"""Who of the seeded history (simulators/order_history.py) the web-shop and the app backend know, and
their orders there, the same in every simulator.

The ERP holds every customer and every order. A web-shop order is also in the web-shop (WooCommerce
order WEB_ORDERS_FROM + its index), an app order in the app backend (Medusa display id
APP_ORDERS_FROM + its index); the ERP's copy names it in `client_order_ref` (`WC-20042`, `MED-1042`),
as a connector writes it. A customer is in the web-shop when they ordered there (or one in three
besides), in the app when they ordered there (or one in four besides); not everyone is everywhere,
and a few are spelt differently: the web-shop has the plain-letter first name and a national phone
number of one in seven, the app no phone for one in six and an e-mail with a capital first letter
for one in eight. The ERP lacks the phone of one in eleven, which then comes from another system.
One customer in ten is in the ERP alone (`erp_only`). A few people are only in the web-shop or only
in the app (never ordered, no ERP contact).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import timedelta

from simulators.catalog import BASE_TIME, Catalog
from simulators.order_history import HISTORY_DAYS, SeedCustomer, SeedOrder, order_history

WEB_ORDERS_FROM = 20_000
APP_ORDERS_FROM = 1_000
WEB_CUSTOMERS_FROM = 100  # a web-shop customer's id: this plus the seeded customer's index
WEB_ONLY_FROM = 90_000
WEB_LINK, APP_LINK = "WC-", "MED-"  # as the gateway's settings backends.odoo.*_order_prefix say by default
ONLY_IN_ONE = 3  # people only in the web-shop, and as many only in the app
RECENT_FROM = BASE_TIME + timedelta(days=HISTORY_DAYS - 14)  # orders after this are still being fulfilled


@dataclass(frozen=True, slots=True)
class ShopCustomer:
    """A seeded customer as one shop system holds them."""

    key: str  # the system's id
    person: SeedCustomer
    email: str
    first_name: str
    phone: str | None
    group: str | None  # a web-shop role other than `customer`, an app customer group
    in_erp: bool = True


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def erp_phone(person: SeedCustomer) -> str | None:
    return None if person.index % 11 == 5 else person.phone


def erp_link(order: SeedOrder) -> str | None:
    """What the ERP's copy of a web-shop or app order keeps in `client_order_ref`."""
    if order.channel == "WEB":
        return f"{WEB_LINK}{WEB_ORDERS_FROM + order.index}"
    if order.channel == "APP":
        return f"{APP_LINK}{APP_ORDERS_FROM + order.index}"
    return None


def _ordered_in(catalog: Catalog, channel: str) -> set[int]:
    return {o.customer for o in order_history(catalog).orders if o.channel == channel}


def _only_in_one(catalog: Catalog, system: str) -> list[SeedCustomer]:
    model = order_history(catalog).customers[0]
    return [replace(model, index=-1 - n, ref="", email=f"{system}.only.{n + 1}@example.com", first_name="Robin",
                    last_name=f"{system.capitalize()}-Only {n + 1}") for n in range(ONLY_IN_ONE)]


def web_shop_customers(catalog: Catalog) -> list[ShopCustomer]:
    ordered = _ordered_in(catalog, "WEB")
    found = []
    for person in order_history(catalog).customers:
        if (person.index in ordered or person.index % 3 == 0) and not erp_only(person):
            odd = person.index % 7 == 3
            found.append(ShopCustomer(
                key=str(WEB_CUSTOMERS_FROM + person.index), person=person, email=person.email,
                first_name=plain(person.first_name) if odd else person.first_name,
                phone="0" + person.phone.removeprefix("+49 ") if odd else person.phone,
                group="wholesale_customer" if person.index % 13 == 0 else None))
    found += [ShopCustomer(key=str(WEB_ONLY_FROM + n), person=p, email=p.email, first_name=p.first_name,
                           phone=None, group=None, in_erp=False) for n, p in enumerate(_only_in_one(catalog, "web"))]
    return found


def app_customers(catalog: Catalog) -> list[ShopCustomer]:
    ordered = _ordered_in(catalog, "APP")
    found = []
    for person in order_history(catalog).customers:
        if (person.index in ordered or person.index % 4 == 0) and not erp_only(person):
            email = person.email[0].upper() + person.email[1:] if person.index % 8 == 2 else person.email
            found.append(ShopCustomer(
                key=f"cus_01SEED{person.index:020d}", person=person, email=email, first_name=person.first_name,
                phone=None if person.index % 6 == 1 else person.phone,
                group="VIP" if person.index % 5 == 0 else None))
    found += [ShopCustomer(key=f"cus_01ONLY{n:020d}", person=p, email=p.email, first_name=p.first_name, phone=None,
                           group=None, in_erp=False) for n, p in enumerate(_only_in_one(catalog, "app"))]
    return found


def erp_only(person: SeedCustomer) -> bool:
    """One customer in ten is known to the ERP alone: their web and app orders came from systems retired
    since, and only the ERP's copies are left."""
    return person.index % 10 == 9


def orders_in(catalog: Catalog, channel: str) -> list[SeedOrder]:
    """The orders the web-shop (WEB) or the app backend (APP) still holds."""
    customers = order_history(catalog).customers
    return [o for o in order_history(catalog).orders if o.channel == channel and not erp_only(customers[o.customer])]


def shop_status(order: SeedOrder, statuses: tuple[str, str, str, str]) -> str:
    """(done, recent, refunded, cancelled): one order in 17 refunded, one in 19 cancelled, those of the
    history's last two weeks still being fulfilled, the others done."""
    done, recent, refunded, cancelled = statuses
    if order.index % 17 == 0:
        return refunded
    if order.index % 19 == 0:
        return cancelled
    return recent if order.created_at > RECENT_FROM else done
