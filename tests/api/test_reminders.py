"""Reminders end to end: items saved by customers, their stock and prices changed through the ERP's
own write API, the invalidation poll and the reminder worker run pass by pass on a clock the test
moves (the simulators stamp changes with it; it moves less than the invalidation log's hour of
retention in all, since the log is stamped in real time and pruned by that clock), mail read from an in-process SMTP sink and webhooks from
a receiver that checks nothing itself (the test verifies the signature as a retailer's tool would)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.lists import SavedItem, SavedList
from domain.reminders import AlertKind, Delivery, DeliveryStatus, event_id
from gateway.mail_sink import start_sink
from gateway.settings import AuthSettings, load_settings
from gateway.wiring import build_services
from resolvers import global_ids
from resolvers.catalog_invalidation import poll
from resolvers.reminders.worker import ReminderWorker
from simulators.catalog import LOCATIONS
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, gateway_environ, issue_key, served_gateway
from tests.servers import ServerThread

DATABASE = "reminder_tests"
SETTLE = 1.0
WEBHOOK_SECRET = "webhook-secret-of-the-retailer-0123"
WEB_WAREHOUSES = [loc for loc in LOCATIONS if loc.code in ("DC1", "DC2", "DC3")]
ODOO = {"Authorization": "bearer odoo-demo-key"}
PREFERENCES = """mutation($input: AlertPreferencesInput!) { alertPreferencesUpdate(input: $input) {
  alertPreferences { deliveries kinds email } userErrors { code field message } } }"""
FEED = """query($first: Int!, $after: String) { me { notifications(first: $first, after: $after) {
  nodes { id kind message link product { sku } createdAt readAt } pageInfo { hasNextPage endCursor } } } }"""
MARK_READ = """mutation($ids: [ID!]!) { notificationsMarkRead(ids: $ids) {
  notifications { id readAt } userErrors { code field message } } }"""
MY_LISTS = "{ me { lists { id default items(first: 10) { priceWhenSaved { amount } } } } }"
SAVE = """mutation($list: ID!, $items: [SavedItemInput!]!) { listItemsAdd(listId: $list, items: $items) {
  list { id } userErrors { code message } } }"""
CREATE_CART = """mutation($input: CartInput!) { cartCreate(input: $input) { cart { id } userErrors { code } } }"""


@dataclass
class Receiver:
    """The retailer's messaging tool: records every webhook; answers `status`."""

    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.status)


@pytest.fixture(scope="module")
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(scope="module")
def mail():
    controller, sink = start_sink()
    yield controller.port, sink
    controller.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Receiver]]:
    receiving = Receiver()
    server = ServerThread(Starlette(routes=[Route("/hooks", receiving.handle, methods=["POST"])])).start()
    yield f"{server.url}/hooks", receiving
    server.stop()


@pytest.fixture(scope="module")
def environ(mail, receiver) -> dict[str, str]:
    return {"CGW_MONGO__DATABASE": DATABASE, "CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE),
            "CGW_SMTP__HOST": "127.0.0.1", "CGW_SMTP__PORT": str(mail[0]),
            "CGW_REMINDERS__WEBHOOK_URL": receiver[0], "CGW_REMINDERS__WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CGW_REMINDERS__MAX_ATTEMPTS": "3", "CGW_REMINDERS__CART_REMINDER_HOURS": "0.1"}


@pytest.fixture(scope="module")
def shop(backends, mongo_url, clock, environ) -> Iterator[GraphQLClient]:
    """The gateway customers use (its worker does not run: the test runs the passes)."""
    with served_gateway(backends[1], mongo_url, clock, **environ) as url:
        client = GraphQLClient(url, issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED))
        client.url = url  # type: ignore[attr-defined]
        yield client
        client.http.close()


@pytest.fixture(scope="module")
async def built(backends, mongo_url, clock, environ, shop):
    """The services the worker runs on, in the test's own event loop; the feeds' reading starts now."""
    settings = load_settings(environ=gateway_environ(backends[1], mongo_url, CGW_REMINDERS__PUBLIC_URL=shop.url,
                                                     **environ))
    async with build_services(settings, clock=clock) as services:
        await poll(services.services, services.invalidations, 1.0)
        yield services


async def worker_pass(built, clock: MovingClock, seconds: float = SETTLE + 1):
    """Time moves on (the changes settle, the leases end); the poll reads the feeds, the worker follows."""
    clock.advance(seconds)
    await poll(built.services, built.invalidations, 1.0)
    worker = ReminderWorker(built.services, built.services.reminders, built.invalidations, built.services.lists, 1.0)
    return await worker.run_pass()


def customer(email: str | None = None) -> tuple[str, dict]:
    customer_id = f"cust-{uuid.uuid4().hex[:8]}"
    claims = {"sub": customer_id, "exp": int(time.time()) + 600}
    if email:
        claims |= {"email": email, "email_verified": True}
    return customer_id, {"Authorization": f"Bearer {jwt.encode(claims, AuthSettings().jwt_secret, algorithm='HS256')}"}


def odoo(simulators, model: str, method: str, **body) -> object:
    response = httpx.post(f"{simulators['odoo'].url}/json/2/{model}/{method}", json=body, headers=ODOO)
    response.raise_for_status()
    return response.json()


def set_available(backends, variant_id: int, available: int) -> None:
    """Counts the variant in the web shop's warehouses (Odoo's Physical Inventory) so that `available`
    units are free to sell there: all in DC1, none in the others (what is reserved stays reserved)."""
    catalog, simulators = backends
    for n, location in enumerate(WEB_WAREHOUSES):
        reserved = catalog.stock(variant_id, location)[1]
        quant = odoo(simulators, "stock.quant", "create", context={"inventory_mode": True}, vals_list=[
            {"product_id": variant_id, "location_id": location.stock_location_id,
             "inventory_quantity": reserved + (available if n == 0 else 0)}])
        odoo(simulators, "stock.quant", "action_apply_inventory", ids=quant)


async def save(built, clock, customer_id: str, *items: tuple[str, Decimal, int]) -> None:
    """A customer's "Saved for later" with items (SKU, price and stock when saved), as saving them from
    the web shop stores them."""
    now = clock()
    saved_items = tuple(SavedItem(str(n), sku, now, "WEB", price, "EUR", stock)
                        for n, (sku, price, stock) in enumerate(items, start=1))
    saved = SavedList(f"list-{uuid.uuid4().hex}", "Saved for later", 1, now, now, customer_id, default=True,
                      items=saved_items, slot=0, next_item_number=len(items) + 1)
    await built.services.lists.insert(saved)


def save_from_the_shop(shop: GraphQLClient, headers: dict, sku: str) -> None:
    """Saves the variant to the customer's "Saved for later" through `listItemsAdd`, at the web shop."""
    default = next(saved for saved in shop(MY_LISTS, {}, headers)["data"]["me"]["lists"] if saved["default"])
    answer = shop(SAVE, {"list": default["id"], "items": [{"merchandiseId": global_ids.encode("Variant", sku)}]},
                  {**headers, "X-Channel": "WEB"})
    assert answer["data"]["listItemsAdd"]["userErrors"] == [], answer


def consent(shop: GraphQLClient, headers: dict, *deliveries: str) -> dict:
    answer = shop(PREFERENCES, {"input": {"deliveries": list(deliveries)}}, headers)
    assert answer["data"]["alertPreferencesUpdate"]["userErrors"] == [], answer
    return answer["data"]["alertPreferencesUpdate"]["alertPreferences"]


def products(backends, count: int, start: int):
    """Products of one variant each (their SKU is the variant's) priced as their template."""
    catalog, _ = backends
    found = [p for p in catalog.products if len(p.variants) == 1 and p.variants[0].list_price == p.list_price]
    return found[start:start + count]


def webhooks_for(receiver: Receiver, customer_id: str) -> list[tuple[dict[str, str], dict]]:
    return [(h, json.loads(b)) for h, b in receiver.received if json.loads(b)["customer"]["id"] == customer_id]


def mails_to(sink, address: str) -> list:
    return [m for m in sink.messages if m["To"] == address]


def verified(headers: dict[str, str], body: bytes) -> bool:
    """What the retailer's receiver does (README: the webhook signature scheme)."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", given) for given in headers["webhook-signature"].split())


async def test_low_stock_sends_one_email_and_one_signed_webhook_then_nothing(backends, built, clock, shop, mail,
                                                                            receiver):
    product = products(backends, 1, 0)[0]
    variant = product.variants[0]
    who, headers = customer("ada@example.com")
    # given a customer who saved an item in the web shop while 20 units were free there
    set_available(backends, variant.erp_id, 20)
    await worker_pass(built, clock)
    save_from_the_shop(shop, headers, variant.sku)
    # and then asked for e-mail and webhook alerts (the token's verified e-mail was kept when saving)
    assert shop("{ me { alertPreferences { email } } }", {}, headers)["data"]["me"]["alertPreferences"] == {
        "email": "ada@example.com"}
    assert set(consent(shop, headers, "EMAIL", "WEBHOOK", "IN_APP")["deliveries"]) == {"EMAIL", "WEBHOOK", "IN_APP"}
    # when the ERP counts 8 units
    set_available(backends, variant.erp_id, 8)
    report = await worker_pass(built, clock)
    # then exactly one e-mail reached the sink, with the figures and a link to the product in the web shop
    assert report is not None and report.delivered.sent == 2
    (sent,) = mails_to(mail[1], "ada@example.com")
    text = sent.get_body(("plain",)).get_content()
    assert "only 8 of the 20 units left" in text
    assert f"https://shop.example.com/p/{variant.sku}" in text
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # and one webhook whose signature verifies, with the same figures and link
    ((hook_headers, body),) = webhooks_for(receiver[1], who)
    raw = next(b for h, b in receiver[1].received if h["webhook-id"] == hook_headers["webhook-id"])
    assert verified(hook_headers, raw)
    assert hook_headers["webhook-id"] == event_id(who, AlertKind.LOW_STOCK, variant.sku, 0)
    assert abs(int(hook_headers["webhook-timestamp"]) - clock().timestamp()) < 1
    assert body["data"]["before"] == "20" and body["data"]["after"] == "8"
    assert body["data"]["link"] == f"https://shop.example.com/p/{variant.sku}"
    assert body["customer"]["email"] == "ada@example.com"
    # and a second pass sends nothing
    again = await worker_pass(built, clock)
    assert again is not None and again.decided == 0 and again.delivered.sent == 0
    assert len(mails_to(mail[1], "ada@example.com")) == 1 and len(webhooks_for(receiver[1], who)) == 1
    # and the in-app feed holds it too
    nodes = shop(FEED, {"first": 10}, headers)["data"]["me"]["notifications"]["nodes"]
    assert [(n["kind"], n["product"]["sku"]) for n in nodes] == [("LOW_STOCK", product.sku)]


async def test_a_tampered_webhook_does_not_verify(receiver):
    headers, body = receiver[1].received[-1]
    assert not verified(headers, body.replace(b'"8"', b'"9"'))
    assert not verified({**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 60)}, body)


async def test_back_in_stock(backends, built, clock, shop, mail):
    variant = products(backends, 1, 1)[0].variants[0]
    who, headers = customer("bob@example.com")
    consent(shop, headers, "EMAIL", "IN_APP")
    # given an item saved while sold out
    set_available(backends, variant.erp_id, 0)
    await worker_pass(built, clock)
    await save(built, clock, who, (variant.sku, variant.list_price, 0))
    # when 5 units come in
    set_available(backends, variant.erp_id, 5)
    await worker_pass(built, clock)
    # then the customer hears it is back (not that it is low)
    (sent,) = mails_to(mail[1], "bob@example.com")
    assert sent["Subject"].startswith("Back in stock:")
    assert "is back in stock: 5 available" in sent.get_body(("plain",)).get_content()


async def test_price_drop_tells_both_prices_and_escapes_the_title(backends, built, clock, shop, mail):
    product = products(backends, 1, 2)[0]
    variant = product.variants[0]
    who, headers = customer("cy@example.com")
    consent(shop, headers, "EMAIL")
    await save(built, clock, who, (variant.sku, variant.list_price, 50))
    # when the ERP lowers the price by a fifth and renames the product with markup in the name
    lowered = (variant.list_price * Decimal("0.8")).quantize(Decimal("0.01"))
    odoo(backends[1], "product.template", "write", ids=[product.erp_id],
         vals={"list_price": float(lowered), "name": '<script>alert("x")</script> Deal'})
    await worker_pass(built, clock)
    # then the e-mail says the old and the new price
    (sent,) = mails_to(mail[1], "cy@example.com")
    text = sent.get_body(("plain",)).get_content()
    assert f"now costs {lowered} EUR (was {variant.list_price} EUR)" in text
    # and its HTML shows the title as text, never as markup
    page = sent.get_body(("html",)).get_content()
    assert "<script>" not in page and "&lt;script&gt;" in page


async def test_an_undeliverable_webhook_is_retried_then_given_up_with_a_record(backends, built, clock, shop, receiver):
    variant = products(backends, 1, 3)[0].variants[0]
    who, headers = customer()
    consent(shop, headers, "WEBHOOK")
    set_available(backends, variant.erp_id, 30)
    await worker_pass(built, clock)
    await save(built, clock, who, (variant.sku, variant.list_price, 30))
    receiver[1].status = 503
    try:
        # when the receiver fails every attempt
        set_available(backends, variant.erp_id, 2)
        await worker_pass(built, clock)
        outbox, event = built.services.reminders.outbox, event_id(who, AlertKind.LOW_STOCK, variant.sku, 0)
        first = (await outbox.get(event)).deliveries[Delivery.WEBHOOK]
        # then it waits (backoff on the clock) and is tried again: 60 s, then 120 s
        assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1)
        assert "answered 503" in first.last_error
        await worker_pass(built, clock, 30)
        assert (await outbox.get(event)).deliveries[Delivery.WEBHOOK].attempts == 1  # not due yet
        await worker_pass(built, clock, 31)
        await worker_pass(built, clock, 121)
        # and after the third attempt it is given up, with the record
        last = (await outbox.get(event)).deliveries[Delivery.WEBHOOK]
        assert (last.status, last.attempts) == (DeliveryStatus.FAILED, 3)
        assert "answered 503" in last.last_error
        assert len(webhooks_for(receiver[1], who)) == 3
        await worker_pass(built, clock, 600)
        assert len(webhooks_for(receiver[1], who)) == 3
    finally:
        receiver[1].status = 200


async def test_over_the_daily_cap_messages_are_suppressed_not_lost(backends, built, clock, shop, mail):
    chosen = [p.variants[0] for p in products(backends, 4, 4)]
    who, headers = customer("dee@example.com")
    consent(shop, headers, "EMAIL", "IN_APP")
    for variant in chosen:
        set_available(backends, variant.erp_id, 40)
    await worker_pass(built, clock)
    await save(built, clock, who, *[(v.sku, v.list_price, 40) for v in chosen])
    # when all four run low at once (the cap is 3 a day)
    for variant in chosen:
        set_available(backends, variant.erp_id, 1)
    await worker_pass(built, clock)
    # then three e-mails go out, and the fourth is recorded as suppressed
    assert len(mails_to(mail[1], "dee@example.com")) == 3
    outbox = built.services.reminders.outbox
    statuses = [(await outbox.get(event_id(who, AlertKind.LOW_STOCK, v.sku, 0))).deliveries[Delivery.EMAIL].status
                for v in chosen]
    assert sorted(statuses) == [DeliveryStatus.SENT] * 3 + [DeliveryStatus.SUPPRESSED]
    # and the in-app feed still has all four
    assert len(shop(FEED, {"first": 10}, headers)["data"]["me"]["notifications"]["nodes"]) == 4


async def test_one_click_unsubscribe_stops_the_emails(backends, built, clock, shop, mail):
    chosen = [p.variants[0] for p in products(backends, 2, 8)]
    who, headers = customer("eve@example.com")
    consent(shop, headers, "EMAIL", "IN_APP")
    for variant in chosen:
        set_available(backends, variant.erp_id, 25)
    await worker_pass(built, clock)
    await save(built, clock, who, *[(v.sku, v.list_price, 25) for v in chosen])
    set_available(backends, chosen[0].erp_id, 3)
    await worker_pass(built, clock)
    (sent,) = mails_to(mail[1], "eve@example.com")
    link = re.fullmatch(r"<(.+)>", sent["List-Unsubscribe"]).group(1)
    # a GET (a mail scanner opening the link) changes nothing
    assert httpx.get(link).status_code == 200
    assert "EMAIL" in shop(PREFERENCES, {"input": {}}, headers)["data"]["alertPreferencesUpdate"][
        "alertPreferences"]["deliveries"]
    # when the mail client posts the one-click unsubscribe
    assert httpx.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    # then the next alert reaches the app only
    set_available(backends, chosen[1].erp_id, 3)
    await worker_pass(built, clock)
    assert len(mails_to(mail[1], "eve@example.com")) == 1
    assert len(shop(FEED, {"first": 10}, headers)["data"]["me"]["notifications"]["nodes"]) == 2
    # and a forged token is refused
    forged = link.rsplit(".", 1)[0] + ".AAAA"
    assert httpx.post(forged).status_code == 400


async def test_an_abandoned_cart_is_reminded_once(backends, built, clock, shop, mail):
    variant = products(backends, 1, 10)[0].variants[0]
    set_available(backends, variant.erp_id, 30)
    who, headers = customer("fay@example.com")
    consent(shop, headers, "EMAIL")
    # given a signed-in customer's cart with a line
    created = shop(CREATE_CART, {"input": {"lines": [
        {"merchandiseId": global_ids.encode("Variant", variant.sku), "quantity": 2}]}}, headers)
    assert created["data"]["cartCreate"]["userErrors"] == [], created
    # when it is left untouched for the configured time (6 minutes)
    await worker_pass(built, clock, 180)
    assert mails_to(mail[1], "fay@example.com") == []
    await worker_pass(built, clock, 181)
    # then one reminder goes out, linking the product
    (sent,) = mails_to(mail[1], "fay@example.com")
    assert "Your cart is waiting" in sent["Subject"]
    assert f"https://shop.example.com/p/{variant.sku}" in sent.get_body(("plain",)).get_content()
    await worker_pass(built, clock, 600)
    assert len(mails_to(mail[1], "fay@example.com")) == 1


SAVE_FOR_LATER = """mutation($cart: ID!, $lines: [ID!]!) { cartLinesSaveForLater(cartId: $cart, lineIds: $lines) {
  userErrors { code message } } }"""
CART_LINES = "query($id: ID!) { cart(id: $id) { lines { id } } }"


def test_saving_a_cart_line_for_later_keeps_the_verified_address_for_reminders(backends, shop):
    variant = products(backends, 1, 12)[0].variants[0]
    set_available(backends, variant.erp_id, 30)
    _, headers = customer("gus@example.com")
    # given a signed-in customer's cart with a line, and no alert preferences chosen yet
    created = shop(CREATE_CART, {"input": {"lines": [
        {"merchandiseId": global_ids.encode("Variant", variant.sku), "quantity": 1}]}}, headers)
    cart_id = created["data"]["cartCreate"]["cart"]["id"]
    lines = shop(CART_LINES, {"id": cart_id}, headers)["data"]["cart"]["lines"]
    # when the line is saved for later (the only save the customer makes)
    saved = shop(SAVE_FOR_LATER, {"cart": cart_id, "lines": [lines[0]["id"]]}, headers)
    assert saved["data"]["cartLinesSaveForLater"]["userErrors"] == [], saved
    # then the address the reminders would go to, once the customer consents, is known
    preferences = shop("{ me { alertPreferences { email } } }", {}, headers)["data"]["me"]["alertPreferences"]
    assert preferences == {"email": "gus@example.com"}


def test_consent_defaults_to_in_app_and_email_needs_a_verified_address(shop):
    _, unverified = customer()
    # a customer who never chose gets in-app alerts only
    preferences = shop("{ me { alertPreferences { deliveries kinds email } } }", {}, unverified)
    assert preferences["data"]["me"]["alertPreferences"] == {
        "deliveries": ["IN_APP"], "kinds": ["BACK_IN_STOCK", "LOW_STOCK", "PRICE_DROP", "CART_REMINDER"], "email": None}
    # and e-mail needs a token with a verified e-mail
    refused = shop(PREFERENCES, {"input": {"deliveries": ["EMAIL"]}}, unverified)["data"]["alertPreferencesUpdate"]
    assert [e["code"] for e in refused["userErrors"]] == ["EMAIL_NOT_VERIFIED"]


def test_customers_reach_only_their_own_notifications(shop):
    # given a customer with notifications (the cap test's) and another customer
    reader = shop(FEED, {"first": 1}, customer("dee@example.com")[1])  # a new customer id, whatever the e-mail
    assert reader["data"]["me"]["notifications"]["nodes"] == []


async def test_marking_another_customers_notification_read_is_not_found(backends, built, clock, shop):
    variant = products(backends, 1, 11)[0].variants[0]
    owner, owner_headers = customer()
    set_available(backends, variant.erp_id, 0)
    await worker_pass(built, clock)
    await save(built, clock, owner, (variant.sku, variant.list_price, 0))
    set_available(backends, variant.erp_id, 4)
    await worker_pass(built, clock)
    (mine,) = shop(FEED, {"first": 5}, owner_headers)["data"]["me"]["notifications"]["nodes"]
    # when another customer marks it read
    _, other = customer()
    answer = shop(MARK_READ, {"ids": [mine["id"]]}, other)["data"]["notificationsMarkRead"]
    # then it is not found, and stays unread
    assert answer["notifications"] == [] and [e["code"] for e in answer["userErrors"]] == ["NOTIFICATION_NOT_FOUND"]
    assert shop(FEED, {"first": 5}, owner_headers)["data"]["me"]["notifications"]["nodes"][0]["readAt"] is None
    # while its owner can
    marked = shop(MARK_READ, {"ids": [mine["id"]]}, owner_headers)["data"]["notificationsMarkRead"]
    assert [n["id"] for n in marked["notifications"]] == [mine["id"]] and marked["notifications"][0]["readAt"]


def test_a_marketplace_key_sees_no_notifications(shop, mongo_url):
    marketplace = GraphQLClient(shop.url, issue_key(mongo_url, "marketplace", database=DATABASE, channel="MARKETPLACE"))
    answer = marketplace(FEED, {"first": 5}, customer()[1])
    assert answer.get("data") is None or answer["data"].get("me") is None
    assert answer["errors"]
    marketplace.http.close()
