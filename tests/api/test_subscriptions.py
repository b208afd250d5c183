"""Subscriptions over graphql-transport-ws: a change written to the ERP, or to a cart through another
gateway process, reaches a subscriber of this one once; the caller is admitted in connection_init as
an HTTP request is; a client back from a disconnection resumes after the last event it saw; and the
limits on connections hold. Two gateways over one store stand for two processes; the simulators
stamp changes with a clock the gateways read as now, and a test moves it past the settle time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin
from websockets.sync.client import ClientConnection, connect

from adapters.mongo import client as mongo
from adapters.mongo.api_keys import MongoApiKeyStore
from adapters.mongo.events import MongoEventLog
from domain.api_keys import KeyEvent, Scope
from domain.records import LiveEventKind
from simulators.catalog import LOCATIONS
from tests.api.test_answer_invalidation import SETTLE, settled
from tests.api.test_carts import CREATE
from tests.api.test_catalog_changes import count_stock
from tests.api.test_nodes import bearer
from tests.clock import JumpingClock
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, scrape, served_gateway

DATABASE = "subscription_tests"
POLL = 0.25
GATEWAY = {"CGW_SUBSCRIPTIONS__ENABLED": "true", "CGW_MONGO__DATABASE": DATABASE, "CGW_CACHE__INVALIDATION_POLL_SECONDS": str(POLL),
           "CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE), "CGW_SUBSCRIPTIONS__POLL_SECONDS": "0.05"}
STRICT = {**GATEWAY, "CGW_SUBSCRIPTIONS__MAX_PER_CONNECTION": "2", "CGW_SUBSCRIPTIONS__MAX_CONNECTIONS_PER_KEY": "2",
          "CGW_SUBSCRIPTIONS__PING_SECONDS": "0.2", "CGW_SUBSCRIPTIONS__PONG_TIMEOUT_SECONDS": "0.3",
          "CGW_SUBSCRIPTIONS__INIT_TIMEOUT_SECONDS": "0.3", "CGW_SUBSCRIPTIONS__MAX_MESSAGE_BYTES": "4096",
          "CGW_AUTH__KEY_CACHE_SECONDS": "0"}
WAIT = 8.0  # seconds a message may take: settle time, a poll of the feeds, a poll of the event log, a slow machine
QUIET = 0.6  # seconds of silence that say nothing more is coming (several polls of the event log)
STOCK = "subscription($skus: [String!]!, $after: ID) { stockChanged(skus: $skus, after: $after) { eventId sku quantity asOf } }"
PRICE = "subscription($skus: [String!]!) { priceChanged(skus: $skus) { eventId sku price { amount currencyCode } } }"
CART = """subscription($id: ID!, $known: Int) { cartUpdated(cartId: $id, knownVersion: $known) {
  id version totalQuantity } }"""
ADD = """mutation($cart: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $cart, lines: $lines) {
  cart { version } userErrors { code } } }"""
LIVE_STOCK = """query($sku: String!) @inContext(maxStockAge: 0) { product(sku: $sku) {
  variants { sku quantityAvailable } } }"""


class Live:
    """One graphql-transport-ws connection, as a client library holds it: it answers the server's pings."""

    def __init__(self, base_url: str, payload: dict | None = None, *, init: bool = True,
                 protocol: str = "graphql-transport-ws") -> None:
        self.opened = contextlib.ExitStack()
        self.ws: ClientConnection = self.opened.enter_context(connect(
            base_url.replace("http://", "ws://") + "/graphql", subprotocols=[protocol], open_timeout=10))
        if init:
            self.send({"type": "connection_init", "payload": payload or {}})

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float = WAIT) -> dict:
        while True:
            frame = self.ws.recv(timeout=timeout)
            # text, as graphql-ws reads it: a binary frame reaches a browser's client as a Blob, not JSON
            assert isinstance(frame, str), f"a binary frame: {frame!r}"
            message = json.loads(frame)
            if message["type"] == "ping":
                self.send({"type": "pong"})
                continue
            return message

    def acked(self) -> Live:
        assert self.recv() == {"type": "connection_ack"}
        return self

    def subscribe(self, op_id: str, query: str, **variables: object) -> None:
        self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})

    def next(self, op_id: str, timeout: float = WAIT) -> dict:
        message = self.recv(timeout)
        assert message["type"] == "next" and message["id"] == op_id, message
        return message["payload"]

    def refused(self, op_id: str) -> dict:
        """The error a refused subscription is answered with (graphql-transport-ws `error`: it never started)."""
        message = self.recv()
        assert message["type"] == "error" and message["id"] == op_id, message
        [error] = message["payload"]
        return error

    def quiet(self, seconds: float = QUIET) -> int:
        """Nothing but pings arrives for `seconds`; how many pings (each answered)."""
        deadline, pings = time.monotonic() + seconds, 0
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                break
            assert message["type"] == "ping", message
            self.send({"type": "pong"})
            pings += 1
        return pings

    def closed(self, timeout: float = WAIT) -> tuple[int, str]:
        """The close code and reason the server sent."""
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                self.recv(timeout)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason

    def close(self) -> None:
        self.opened.close()


@pytest.fixture(scope="module")
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture(scope="module")
def gateways(backends, mongo_url, clock) -> Iterator[tuple[str, str]]:
    """Two gateway processes over one store."""
    _, simulators = backends
    with served_gateway(simulators, mongo_url, clock, **GATEWAY) as one, \
            served_gateway(simulators, mongo_url, clock, **GATEWAY) as other:
        yield one, other


@pytest.fixture(scope="module")
def strict(backends, mongo_url, clock) -> Iterator[str]:
    """A gateway with tight connection limits and a short ping interval."""
    _, simulators = backends
    with served_gateway(simulators, mongo_url, clock, **STRICT) as url:
        yield url


@pytest.fixture(scope="module")
def key(mongo_url) -> str:
    return issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)


@pytest.fixture(scope="module")
def https(gateways, key) -> Iterator[tuple[GraphQLClient, GraphQLClient]]:
    """HTTP clients of the two processes."""
    clients = GraphQLClient(gateways[0], key), GraphQLClient(gateways[1], key)
    yield clients
    for client in clients:
        client.http.close()


@pytest.fixture
def sockets() -> Iterator[list[Live]]:
    opened: list[Live] = []
    yield opened
    for live in opened:
        live.close()


@pytest.fixture
def connected(gateways, key, sockets):
    def connect_to(url: str | None = None, api_key: str | None = None, **payload: str) -> Live:
        sockets.append(Live(url or gateways[0], {"X-API-Key": api_key or key, **payload}).acked())
        return sockets[-1]
    return connect_to


def publish(mongo_url: str, *events: tuple[LiveEventKind, str]) -> list[int]:
    """Events written to the log as a cart write or the change feeds' poll writes them."""
    async def write() -> list[int]:
        client = mongo.open_client(mongo_url)
        try:
            return await MongoEventLog(client, DATABASE).publish([(kind, k, None) for kind, k in events],
                                                                 datetime.now(UTC))
        finally:
            await client.close()
    return asyncio.run(write())


def prune_all(mongo_url: str) -> None:
    async def prune() -> None:
        client = mongo.open_client(mongo_url)
        try:
            await MongoEventLog(client, DATABASE).prune(datetime.now(UTC) + timedelta(days=1))
        finally:
            await client.close()
    asyncio.run(prune())


def test_a_stock_change_in_the_erp_and_a_cart_change_on_another_process_arrive_once_each(
        backends, gateways, https, connected, clock):
    catalog, simulators = backends
    one, other = gateways
    variant = catalog.products[4].variants[0]
    elsewhere = https[1]
    made = elsewhere(CREATE, {"input": {"lines": [{"merchandiseId": _variant_id(variant.sku), "quantity": 1}]}})
    cart = made["data"]["cartCreate"]["cart"]
    # given one connection to one process, subscribed to a SKU's stock and to a cart
    live = connected(one)
    live.subscribe("stock", STOCK, skus=[variant.sku])
    live.subscribe("cart", CART, id=cart["id"], known=cart["version"])
    # when the cart changes through the other process
    added = elsewhere(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": _variant_id(variant.sku), "quantity": 2}]})
    assert added["data"]["cartLinesAdd"]["userErrors"] == []
    # then the subscriber has the new version
    assert live.next("cart")["data"]["cartUpdated"] == {"id": cart["id"], "version": 2, "totalQuantity": 3}
    # and when the ERP counts the SKU's stock at a web warehouse
    count_stock(simulators, variant.erp_id, LOCATIONS[0].stock_location_id, 77)
    settled(clock)
    # then its stock in the web channel arrives, as a query reads it now
    change = live.next("stock")["data"]["stockChanged"]
    [now] = https[0](LIVE_STOCK, {"sku": catalog.products[4].sku})["data"]["product"]["variants"][:1]
    assert change["sku"] == variant.sku and change["quantity"] == now["quantityAvailable"]
    assert int(change["eventId"]) > 0 and change["asOf"]
    # once each
    live.quiet()


def _variant_id(sku: str) -> str:
    from resolvers import global_ids
    return global_ids.encode("Variant", sku)


def test_a_reconnecting_client_gets_what_it_missed_once_and_nothing_twice(backends, gateways, mongo_url, connected):
    catalog, _ = backends
    first, second, third = (p.variants[0].sku for p in catalog.products[6:9])
    live = connected()
    live.subscribe("s", STOCK, skus=[first, second])
    [seen] = publish(mongo_url, (LiveEventKind.STOCK, first))
    assert live.next("s")["data"]["stockChanged"]["eventId"] == str(seen)
    live.close()
    # while the client is away: two changes of the first SKU, one of the second, one of a SKU it does not watch
    missed = publish(mongo_url, (LiveEventKind.STOCK, first), (LiveEventKind.STOCK, second),
                     (LiveEventKind.STOCK, third), (LiveEventKind.STOCK, first))
    # when it comes back to the other process, after the last event it saw
    back = connected(gateways[1])
    back.subscribe("s", STOCK, skus=[first, second], after=str(seen))
    # then it gets the latest change of each of its SKUs, in order, and nothing else
    got = [back.next("s")["data"]["stockChanged"] for _ in range(2)]
    assert [(g["sku"], g["eventId"]) for g in got] == [(second, str(missed[1])), (first, str(missed[3]))]
    back.quiet()
    # and what changes from then on
    [later] = publish(mongo_url, (LiveEventKind.STOCK, second))
    assert back.next("s")["data"]["stockChanged"]["eventId"] == str(later)
    back.quiet()


def test_resuming_after_an_event_the_log_no_longer_keeps_asks_for_a_resync(backends, mongo_url, connected):
    catalog, _ = backends
    sku = catalog.products[9].variants[0].sku
    [old] = publish(mongo_url, (LiveEventKind.STOCK, sku))
    publish(mongo_url, (LiveEventKind.STOCK, sku))
    prune_all(mongo_url)
    live = connected()
    live.subscribe("s", STOCK, skus=[sku], after=str(old))
    error = live.refused("s")
    assert error["extensions"]["code"] == "RESYNC_REQUIRED" and "subscribe again without `after`" in error["message"]


def test_a_reconnecting_cart_subscriber_gets_the_cart_at_once_when_it_moved_on(backends, https, connected):
    catalog, _ = backends
    sku = catalog.products[10].variants[0].sku
    client = https[1]
    cart = client(CREATE, {"input": {"lines": [{"merchandiseId": _variant_id(sku), "quantity": 1}]}})["data"][
        "cartCreate"]["cart"]
    client(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": _variant_id(sku), "quantity": 1}]})
    live = connected()
    live.subscribe("behind", CART, id=cart["id"], known=1)
    live.subscribe("current", CART, id=cart["id"], known=2)
    assert live.next("behind")["data"]["cartUpdated"]["version"] == 2
    live.quiet()  # the subscriber at version 2 has nothing to catch up on


def test_a_connection_without_a_valid_key_is_refused(gateways, sockets):
    for payload in ({}, {"X-API-Key": "cgw_nothere_secret"}, {"apiKey": "not a key"}):
        live = Live(gateways[0], payload)
        sockets.append(live)
        code, reason = live.closed()
        assert code == 4403 and reason.startswith("UNAUTHENTICATED"), (payload, reason)


def test_the_key_may_come_as_apikey_and_a_bad_customer_token_is_refused(gateways, key, sockets):
    Live(gateways[0], {"apiKey": key}).acked().close()
    live = Live(gateways[0], {"X-API-Key": key, "Authorization": "Bearer forged"})
    sockets.append(live)
    code, reason = live.closed()
    assert code == 4403 and reason.startswith("UNAUTHENTICATED")


def test_messages_are_text_frames_as_graphql_ws_reads_them(gateways, key, sockets):
    """graphql-ws parses only text frames (a browser hands a binary one over as a Blob): it closed with 4400."""
    live = Live(gateways[0], {"X-API-Key": key})
    sockets.append(live)
    assert live.ws.recv(timeout=WAIT) == '{"type":"connection_ack"}'


def test_the_legacy_graphql_ws_protocol_is_refused(gateways, sockets):
    live = Live(gateways[0], init=False, protocol="graphql-ws")
    sockets.append(live)
    assert live.ws.subprotocol is None  # not agreed to
    assert live.closed() == (4406, "Subprotocol not acceptable")


def test_a_browser_page_of_another_origin_is_refused(gateways):
    with pytest.raises(InvalidStatus) as refused:
        connect(gateways[0].replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                origin=Origin("https://evil.example"), open_timeout=10)
    assert refused.value.response.status_code == 403


def test_a_subscription_outside_the_keys_scopes_is_refused(backends, mongo_url, connected):
    catalog, _ = backends
    sku = catalog.products[11].variants[0].sku
    catalog_only = issue_key(mongo_url, "frontend", database=DATABASE, scopes=(Scope.CATALOG_READ,), **UNLIMITED)
    live = connected(api_key=catalog_only)
    live.subscribe("s", STOCK, skus=[sku])
    error = live.refused("s")
    assert error["extensions"]["code"] == "FORBIDDEN" and "stock:read" in error["message"]
    live.subscribe("p", PRICE, skus=[sku])  # prices are catalog:read
    [price] = publish(mongo_url, (LiveEventKind.PRICE, sku))
    assert live.next("p")["data"]["priceChanged"]["eventId"] == str(price)


def test_a_content_change_brings_the_product_and_a_price_change_the_channels_price(backends, mongo_url, connected):
    catalog, _ = backends
    product = catalog.products[18]
    sku = product.variants[0].sku
    live = connected(**{"X-Channel": "WEB"})
    live.subscribe("c", "subscription($skus: [String!]!) { productChanged(skus: $skus) { eventId sku removed aspects "
                   "product { sku title } } }", skus=[sku])
    live.subscribe("p", PRICE, skus=[sku])
    live.quiet()
    content, price = publish(mongo_url, (LiveEventKind.PRODUCT, sku), (LiveEventKind.PRICE, sku))
    got = {m["id"]: m["payload"]["data"] for m in (live.recv(), live.recv())}  # two operations: in either order
    changed = got["c"]["productChanged"]
    assert changed == {"eventId": str(content), "sku": sku, "removed": False, "aspects": ["CONTENT"],
                       "product": {"sku": product.sku, "title": changed["product"]["title"]}}
    assert changed["product"]["title"]
    priced = got["p"]["priceChanged"]
    assert priced["eventId"] == str(price) and priced["price"]["currencyCode"] == "EUR"


def test_a_marketplace_key_reads_stock_but_no_cart(backends, mongo_url, connected):
    catalog, _ = backends
    sku = catalog.products[12].variants[0].sku
    marketplace = issue_key(mongo_url, "marketplace", database=DATABASE, **UNLIMITED)
    live = connected(api_key=marketplace)
    live.subscribe("c", CART, id="Q2FydDp4")
    assert live.refused("c")["extensions"]["code"] == "FORBIDDEN"
    live.subscribe("s", STOCK, skus=[sku])
    [stock] = publish(mongo_url, (LiveEventKind.STOCK, sku))
    assert live.next("s")["data"]["stockChanged"]["eventId"] == str(stock)


def test_a_customers_cart_is_followed_only_with_that_customers_token(backends, https, connected):
    catalog, _ = backends
    sku = catalog.products[13].variants[0].sku
    theirs = https[0](CREATE, {"input": {"lines": [{"merchandiseId": _variant_id(sku), "quantity": 1}]}},
                                    bearer("cust-sub-1"))["data"]["cartCreate"]["cart"]
    for payload in ({}, bearer("cust-sub-2")):
        live = connected(**payload)
        live.subscribe("c", CART, id=theirs["id"])
        error = live.refused("c")
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "customer's cart" in error["message"]
    owner = connected(**bearer("cust-sub-1"))
    owner.subscribe("c", CART, id=theirs["id"], known=0)
    assert owner.next("c")["data"]["cartUpdated"]["id"] == theirs["id"]


@pytest.mark.parametrize(("skus", "says"), [
    ([f"SKU-{n}" for n in range(101)], "1 to 100 SKUs"),
    ([], "1 to 100 SKUs"),
    (["X" * 65], "1 to 64 characters"),
    (["ABC\u202e"], "control, format"),
    (["ABC\x00"], "control, format"),
    ([" ABC"], "surrounding space"),
])
def test_bad_skus_are_clear_errors(connected, skus, says):
    live = connected()
    live.subscribe("s", STOCK, skus=skus)
    error = live.refused("s")
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and says in error["message"]


def test_an_after_that_is_no_event_id_is_a_clear_error(backends, connected):
    live = connected()
    live.subscribe("s", STOCK, skus=[backends[0].products[0].variants[0].sku], after="yesterday")
    error = live.refused("s")
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "`after`" in error["message"]


def test_too_many_subscriptions_on_one_connection(backends, strict, key, sockets):
    sku = backends[0].products[0].variants[0].sku
    live = Live(strict, {"X-API-Key": key}).acked()
    sockets.append(live)
    for op_id in ("a", "b", "c"):
        live.subscribe(op_id, STOCK, skus=[sku])
    message = live.recv()
    assert message["type"] == "error" and message["id"] == "c"
    assert "limit" in message["payload"][0]["message"]


def test_too_many_connections_of_one_key(strict, mongo_url, sockets):
    own = issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)
    sockets += [Live(strict, {"X-API-Key": own}).acked() for _ in range(2)]
    third = Live(strict, {"X-API-Key": own})
    sockets.append(third)
    code, reason = third.closed()
    assert code == 4429 and "max_connections_per_key" in reason
    sockets[-2].close()  # one closes: a place is free again
    sockets.append(Live(strict, {"X-API-Key": own}).acked())


def test_a_connection_that_does_not_answer_pings_is_closed(strict, key, sockets):
    live = Live(strict, {"X-API-Key": key})
    sockets.append(live)
    assert json.loads(live.ws.recv(timeout=WAIT)) == {"type": "connection_ack"}
    assert json.loads(live.ws.recv(timeout=WAIT)) == {"type": "ping"}
    # when the client does not answer
    with pytest.raises(ConnectionClosed) as closed:
        live.ws.recv(timeout=WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4504


def test_a_connection_that_answers_pings_stays_open(backends, strict, key, mongo_url, sockets):
    sku = backends[0].products[17].variants[0].sku
    live = Live(strict, {"X-API-Key": key}).acked()
    sockets.append(live)
    live.subscribe("s", STOCK, skus=[sku])
    assert live.quiet(1.5) >= 2  # several ping intervals and pong timeouts, each ping answered
    [event] = publish(mongo_url, (LiveEventKind.STOCK, sku))
    assert live.next("s")["data"]["stockChanged"]["eventId"] == str(event)


def test_a_connection_whose_key_is_revoked_is_closed(strict, mongo_url, sockets):
    own = issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)
    live = Live(strict, {"X-API-Key": own}).acked()
    sockets.append(live)
    revoke(mongo_url, own)
    code, reason = live.closed()
    assert code == 4403 and reason == "UNAUTHENTICATED: The API key has been revoked."


def revoke(mongo_url: str, key: str) -> None:
    async def write() -> None:
        client = mongo.open_client(mongo_url)
        try:
            key_id = key.split("_")[1]
            await MongoApiKeyStore(client, DATABASE).revoke(key_id, datetime.now(UTC),
                                                           KeyEvent("revoked", key_id, "tests", datetime.now(UTC)))
        finally:
            await client.close()
    asyncio.run(write())


def test_a_connection_without_connection_init_is_closed(strict, sockets):
    live = Live(strict, init=False)
    sockets.append(live)
    assert live.closed()[0] == 4408


def test_an_oversized_message_closes_the_connection(strict, key, sockets):
    live = Live(strict, {"X-API-Key": key}).acked()
    sockets.append(live)
    live.subscribe("s", STOCK, skus=["X" * 5000])
    code, reason = live.closed()
    assert code == 1009 and "max_message_bytes" in reason


def test_every_subscriber_of_each_channel_gets_the_figures_of_one_batch(backends, mongo_url, connected):
    catalog, _ = backends
    skus = [p.variants[0].sku for p in catalog.products[14:16]]
    # given three subscribers of the web channel and one of the store channel, on two connections of one process
    web, store = connected(), connected(**{"X-Channel": "STORE"})
    for n in range(3):
        web.subscribe(f"w{n}", STOCK, skus=skus)
    store.subscribe("s", STOCK, skus=skus)
    web.quiet()  # every subscription has started
    # when one batch of events names both SKUs
    publish(mongo_url, (LiveEventKind.STOCK, skus[0]), (LiveEventKind.STOCK, skus[1]))
    # then every subscriber has both figures
    got = {(m["id"], m["payload"]["data"]["stockChanged"]["sku"]) for m in [web.recv() for _ in range(6)]}
    assert got == {(f"w{n}", sku) for n in range(3) for sku in skus}
    assert {store.next("s")["data"]["stockChanged"]["sku"] for _ in range(2)} == set(skus)
    # (that the ERP is read once per channel and store, not per subscriber: tests/unit/test_live_hub.py)


def test_subscriptions_count_as_operations_in_metrics(gateways, backends, connected):
    before = scrape(gateways[0]).get("gateway_subscriptions_total", Counter())
    live = connected()
    live.send({"id": "m", "type": "subscribe", "payload": {
        "query": "subscription Watch($skus: [String!]!) { stockChanged(skus: $skus) { sku } }",
        "variables": {"skus": [backends[0].products[0].variants[0].sku]}, "operationName": "Watch"}})
    live.quiet()
    after = scrape(gateways[0])["gateway_subscriptions_total"]
    assert after[(("operation", "Watch"),)] - before[(("operation", "Watch"),)] == 1
