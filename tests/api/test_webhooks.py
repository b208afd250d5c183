"""Partner webhooks end to end: endpoints registered through the API, events published to the live
log (by the change feeds' poll after an ERP write, or directly), the worker run pass by pass on a
clock the test moves, and a real HTTP receiver that verifies each signature as a partner would
(Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`, keyed with the `whsec_` secret's bytes)."""

from __future__ import annotations

from collections import Counter

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.api_keys import KeyKind
from domain.records import LiveEventKind
from gateway.settings import load_settings
from gateway.wiring import build_services
from resolvers import api_keys
from resolvers.catalog_invalidation import poll
from resolvers.webhooks import sending
from resolvers.webhooks.worker import PassReport, WebhookWorker
from tests.api.test_reminders import products, set_available
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, gateway_environ, issue_key, served_gateway
from tests.servers import ServerThread

DATABASE = "webhook_tests"
SETTLE = 1.0
BACKOFF = 10  # seconds after the first failed attempt; doubled after each, at most 40
CREATE = """mutation($input: WebhookCreateInput!) { webhookCreate(input: $input) {
  webhook { id } secret userErrors { code message } } }"""
ROTATE = "mutation($id: ID!) { webhookSecretRotate(id: $id) { secret webhook { previousSecretUntil } userErrors { code } } }"
ENABLE = "mutation($id: ID!) { webhookEnable(id: $id) { webhook { state } userErrors { code } } }"
DELETE = "mutation($id: ID!) { webhookDelete(id: $id) { userErrors { code } } }"
LIST = "{ webhooks { id state consecutiveFailures disabled { at reason lastStatus } } }"
DELIVERIES = """query($id: ID!) { webhookDeliveries(webhookId: $id) { id sku state nextAttemptAt
  attempts { at status error } } }"""


@dataclass
class Receiver:
    """Partners' endpoints at /hooks/{name}: each records what it got, and fails as the test plans."""

    received: dict[str, list[tuple[dict[str, str], bytes]]] = field(default_factory=dict)
    fail_next: dict[str, int] = field(default_factory=dict)  # endpoint name -> attempts still to fail (500)
    fail_sku: dict[str, int] = field(default_factory=dict)  # SKU -> attempts still to fail (503)

    async def handle(self, request: Request) -> Response:
        name, body = request.path_params["name"], await request.body()
        self.received.setdefault(name, []).append((dict(request.headers), body))
        sku = json.loads(body)["data"]["sku"]
        if self.fail_next.get(name, 0) > 0:
            self.fail_next[name] -= 1
            return Response("partner down", status_code=500)
        if self.fail_sku.get(sku, 0) > 0:
            self.fail_sku[sku] -= 1
            return Response(status_code=503)
        return Response(status_code=204)

    def bodies(self, name: str) -> list[dict]:
        return [json.loads(body) for _, body in self.received.get(name, [])]


@pytest.fixture(scope="module")
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Receiver]]:
    receiving = Receiver()
    server = ServerThread(Starlette(routes=[Route("/hooks/{name}", receiving.handle, methods=["POST"])])).start()
    yield f"{server.url}/hooks", receiving
    server.stop()


@pytest.fixture(scope="module")
def environ() -> dict[str, str]:
    return {"CGW_MONGO__DATABASE": DATABASE, "CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE),
            "CGW_WEBHOOKS__ALLOW_HTTP": "true", "CGW_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true",
            "CGW_WEBHOOKS__MAX_ATTEMPTS": "3", "CGW_WEBHOOKS__BACKOFF_BASE_SECONDS": str(BACKOFF),
            "CGW_WEBHOOKS__BACKOFF_MAX_SECONDS": "40", "CGW_WEBHOOKS__DISABLE_AFTER": "4",
            "CGW_WEBHOOKS__SECRET_GRACE_SECONDS": "120"}


@pytest.fixture(scope="module")
def admin(backends, mongo_url, clock, environ) -> Iterator[GraphQLClient]:
    """The gateway partners and the retailer manage endpoints through (its worker does not run: the test runs it)."""
    with served_gateway(backends[1], mongo_url, clock, **environ) as url:
        client = GraphQLClient(url, issue_key(mongo_url, "admin", database=DATABASE, **UNLIMITED))
        client.url = url  # type: ignore[attr-defined]
        yield client
        client.http.close()


@pytest.fixture(scope="module")
async def built(backends, mongo_url, clock, environ, admin):
    """The services the worker runs on, in the test's own event loop; it follows the events from now."""
    settings = load_settings(environ=gateway_environ(backends[1], mongo_url, **environ))
    async with build_services(settings, clock=clock) as services:
        await poll(services.services, services.invalidations, 1.0)
        await WebhookWorker(services.services, services.services.webhooks).run_pass()
        yield services


async def worker_pass(built, clock: MovingClock, seconds: float = SETTLE + 1,
                      worker: WebhookWorker | None = None) -> PassReport:
    """Time moves on (changes settle, the lease ends); the feeds' poll publishes, the worker follows and sends."""
    clock.advance(seconds)
    await poll(built.services, built.invalidations, 1.0)
    report = await (worker or WebhookWorker(built.services, built.services.webhooks)).run_pass()
    assert report is not None
    return report


async def publish(built, clock, *events: tuple[str, str]) -> None:
    await built.services.events.publish([(LiveEventKind[kind], sku, None) for kind, sku in events], clock())


def register(client: GraphQLClient, url: str, events: list[str], channel: str = "WEB") -> tuple[str, str]:
    made = client(CREATE, {"input": {"url": url, "events": events, "channel": channel}})["data"]["webhookCreate"]
    assert made["userErrors"] == [], made
    return made["webhook"]["id"], made["secret"]


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a partner's receiver does (README: Partner webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split())


def skus(backends, count: int, start: int) -> list[str]:
    return [p.variants[0].sku for p in products(backends, count, start)]


async def test_an_erp_stock_change_reaches_the_partner_signed_with_the_channels_quantity(backends, built, clock,
                                                                                        admin, receiver):
    url, receiving = receiver
    variant = products(backends, 1, 0)[0].variants[0]
    hook, secret = register(admin, f"{url}/whole-path", ["STOCK"], channel="WEB")
    # when the ERP counts 7 units free for the web shop (written through its own API)
    set_available(backends, variant.erp_id, 7)
    report = await worker_pass(built, clock)
    # then the partner got one signed delivery with the web channel's new quantity
    assert report.sent.sent >= 1
    ((headers, body),) = [(h, b) for h, b in receiving.received["whole-path"]
                          if json.loads(b)["data"]["sku"] == variant.sku]
    assert verifies(secret, headers, body)
    assert json.loads(body)["type"] == "stock.changed"
    assert json.loads(body)["data"] == {"sku": variant.sku, "channel": "WEB", "quantity": 7}
    assert headers["webhook-id"].startswith(f"msg_{hook}_")
    assert int(headers["webhook-timestamp"]) == int(clock().timestamp())
    # and a tampered body does not verify
    assert not verifies(secret, headers, body.replace(b'"quantity":7', b'"quantity":70'))
    admin(DELETE, {"id": hook})


async def test_a_count_of_one_variant_is_told_for_that_variant_only(backends, built, clock, admin, receiver):
    url, receiving = receiver
    catalog, _ = backends
    product = next(p for p in catalog.products if len(p.variants) >= 2)
    hook, _ = register(admin, f"{url}/one-variant", ["STOCK"], channel="WEB")
    # when the ERP counts one of the product's variants
    set_available(backends, product.variants[1].erp_id, 4)
    await worker_pass(built, clock)
    # then the partner hears of that SKU alone: its siblings' stock did not change
    told = [json.loads(b)["data"] for _, b in receiving.received["one-variant"]]
    assert told == [{"sku": product.variants[1].sku, "channel": "WEB", "quantity": 4}]
    admin(DELETE, {"id": hook})


async def test_failed_attempts_are_retried_after_a_growing_backoff(backends, built, clock, admin, receiver):
    url, receiving = receiver
    hook, secret = register(admin, f"{url}/flaky", ["PRICE"])
    (sku,) = skus(backends, 1, 1)
    receiving.fail_next["flaky"] = 2
    counted: Counter[str] = Counter()  # what the metrics are told
    built.services.webhooks.counted = lambda outcome, n: counted.update({outcome: n})
    # given a price change the partner fails to take twice
    await publish(built, clock, ("PRICE", sku))
    await worker_pass(built, clock, 1)
    assert len(receiving.received["flaky"]) == 1
    # when the backoff has not passed, nothing is sent again
    await worker_pass(built, clock, BACKOFF - 1)
    assert len(receiving.received["flaky"]) == 1
    # then after it, the second attempt; after twice the backoff, the third, which the partner takes
    await worker_pass(built, clock, 1)
    assert len(receiving.received["flaky"]) == 2
    await worker_pass(built, clock, 2 * BACKOFF - 1)
    assert len(receiving.received["flaky"]) == 2
    await worker_pass(built, clock, 1)
    assert len(receiving.received["flaky"]) == 3
    # every attempt was the same message, signed
    assert len({h["webhook-id"] for h, _ in receiving.received["flaky"]}) == 1
    assert all(verifies(secret, h, b) for h, b in receiving.received["flaky"])
    assert receiving.bodies("flaky")[0]["data"]["price"]["currency"] == "EUR"
    # and the delivery keeps every attempt, a backoff apart
    (delivery,) = admin(DELIVERIES, {"id": hook})["data"]["webhookDeliveries"]
    assert delivery["state"] == "SENT" and delivery["nextAttemptAt"] is None
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 204]
    assert delivery["attempts"][0]["error"] == "answered 500: partner down"
    assert [a["error"] for a in delivery["attempts"][1:]] == ["answered 500: partner down", None]
    # and the metrics counted two retries and one delivery sent
    built.services.webhooks.counted = None
    assert (counted["retried"], counted["sent"], counted["given_up"]) == (2, 1, 0)
    admin(DELETE, {"id": hook})


async def test_an_endpoint_failing_again_and_again_is_disabled_with_a_record(backends, built, clock, admin,
                                                                            receiver, monkeypatch):
    url, receiving = receiver
    hook, _ = register(admin, f"{url}/down", ["STOCK"])
    receiving.fail_next["down"] = 1_000
    # when four deliveries fail in a row (the setting: 4)
    await publish(built, clock, *(("STOCK", sku) for sku in skus(backends, 4, 2)))
    report = await worker_pass(built, clock, 1)
    # then the endpoint is disabled, and the list says when, why and the last status
    assert report.sent.disabled == [hook]
    (listed,) = [w for w in admin(LIST)["data"]["webhooks"] if w["id"] == hook]
    assert listed["state"] == "DISABLED" and listed["consecutiveFailures"] == 4
    assert listed["disabled"]["lastStatus"] == 500 and listed["disabled"]["reason"] == "answered 500: partner down"
    # and nothing more is sent to it, even after the backoff, nor decided for it while it is disabled
    (unheard,) = skus(backends, 1, 6)
    await publish(built, clock, ("STOCK", unheard))
    await worker_pass(built, clock, 4 * BACKOFF)
    assert len(receiving.received["down"]) == 4
    # and its waiting deliveries do not hold back another endpoint's, even when they would fill a pass's window
    monkeypatch.setattr(sending, "MAX_PER_PASS", 2)
    neighbour, _ = register(admin, f"{url}/neighbour", ["STOCK"])
    await publish(built, clock, ("STOCK", unheard))
    await worker_pass(built, clock, 1)
    assert [b["data"]["sku"] for b in receiving.bodies("neighbour")] == [unheard]
    admin(DELETE, {"id": neighbour})
    monkeypatch.undo()
    # when the partner is back and the endpoint enabled again, what waited is delivered
    receiving.fail_next["down"] = 0
    assert admin(ENABLE, {"id": hook})["data"]["webhookEnable"] == {"webhook": {"state": "ACTIVE"}, "userErrors": []}
    await worker_pass(built, clock, 1)
    assert len(receiving.received["down"]) == 4 + 4
    assert unheard not in {b["data"]["sku"] for b in receiving.bodies("down")}
    (listed,) = [w for w in admin(LIST)["data"]["webhooks"] if w["id"] == hook]
    assert listed["consecutiveFailures"] == 0 and listed["disabled"]["lastStatus"] == 500  # the record stays
    admin(DELETE, {"id": hook})


async def test_one_skus_failure_holds_back_its_later_changes_but_not_another_skus(backends, built, clock, admin,
                                                                                  receiver):
    url, receiving = receiver
    hook, _ = register(admin, f"{url}/ordered", ["STOCK", "PRICE"])
    first, second = skus(backends, 2, 7)
    receiving.fail_sku[first] = 1
    # given two changes of each of two SKUs, and the first delivery of the first SKU failing
    await publish(built, clock, ("STOCK", first), ("STOCK", second), ("PRICE", first), ("PRICE", second))
    await worker_pass(built, clock, 1)
    # then the second SKU's changes went, in order; the first SKU's later change waits
    def types(sku: str) -> list[str]:
        return [b["type"] for b in receiving.bodies("ordered") if b["data"]["sku"] == sku]

    assert types(second) == ["stock.changed", "price.changed"]
    assert types(first) == ["stock.changed"]
    # when the retry succeeds, the first SKU's changes arrive in their order
    await worker_pass(built, clock, BACKOFF)
    assert types(first) == ["stock.changed", "stock.changed", "price.changed"]
    assert types(second) == ["stock.changed", "price.changed"]
    admin(DELETE, {"id": hook})


async def test_a_new_worker_does_not_deliver_twice(backends, built, clock, admin, receiver):
    url, receiving = receiver
    hook, _ = register(admin, f"{url}/once", ["PRODUCT"])
    (sku,) = skus(backends, 1, 9)
    await publish(built, clock, ("PRODUCT", sku))
    await worker_pass(built, clock, 1)
    assert [b["data"] for b in receiving.bodies("once")] == [
        {"sku": sku, "channel": "WEB", "title": products(backends, 1, 9)[0].title}]
    # when a new worker (another process, a restart) runs, and one starts again from before the event (a pass
    # that died before it stored its position)
    state = built.services.webhooks.state
    await worker_pass(built, clock, 1, WebhookWorker(built.services, built.services.webhooks))
    await state.save_position(await state.position() - 1)
    again = await worker_pass(built, clock, 1, WebhookWorker(built.services, built.services.webhooks))
    # then the event is decided again but stored once, and the partner got it once
    assert again.events == 1 and again.decided == 0
    assert len(receiving.received["once"]) == 1
    admin(DELETE, {"id": hook})


async def test_during_a_rotation_both_secrets_verify_then_only_the_new_one(backends, built, clock, admin, receiver):
    url, receiving = receiver
    hook, old = register(admin, f"{url}/rotating", ["STOCK"])
    (sku,) = skus(backends, 1, 10)
    # when the secret is rotated
    rotated = admin(ROTATE, {"id": hook})["data"]["webhookSecretRotate"]
    new = rotated["secret"]
    assert rotated["userErrors"] == [] and new != old and rotated["webhook"]["previousSecretUntil"]
    await publish(built, clock, ("STOCK", sku))
    await worker_pass(built, clock, 1)
    # then a delivery within the grace verifies with either secret
    headers, body = receiving.received["rotating"][-1]
    assert verifies(old, headers, body) and verifies(new, headers, body)
    assert len(headers["webhook-signature"].split()) == 2
    # and after the grace (120 s), only with the new one
    clock.advance(120)
    await publish(built, clock, ("STOCK", sku))
    await worker_pass(built, clock, 1)
    headers, body = receiving.received["rotating"][-1]
    assert verifies(new, headers, body) and not verifies(old, headers, body)
    admin(DELETE, {"id": hook})


async def test_a_partner_hears_its_channel_until_its_key_is_revoked(backends, built, clock, mongo_url, admin,
                                                                    receiver):
    url, receiving = receiver
    _, raw = await api_keys.issue(built.services.keys, api_keys.KeySpec("partner", KeyKind.MARKETPLACE), "tests")
    partner = GraphQLClient(admin.url, raw)
    try:
        made = partner(CREATE, {"input": {"url": f"{url}/partner", "events": ["STOCK"]}})["data"]["webhookCreate"]
        assert made["userErrors"] == []
    finally:
        partner.http.close()
    (sku,) = skus(backends, 1, 11)
    # given a marketplace partner's endpoint: it hears the marketplace channel's stock
    await publish(built, clock, ("STOCK", sku))
    await worker_pass(built, clock, 1)
    ((_, body),) = receiving.received["partner"]
    assert json.loads(body)["data"]["channel"] == "MARKETPLACE" and "quantity" in json.loads(body)["data"]
    # when its key is revoked, it hears nothing more
    await api_keys.revoke(built.services.keys, raw.split("_")[1], "tests")
    await publish(built, clock, ("STOCK", sku))
    report = await worker_pass(built, clock, 1)
    assert report.events >= 1 and len(receiving.received["partner"]) == 1
