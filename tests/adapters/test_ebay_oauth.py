"""The eBay adapter's OAuth user token against the marketplace simulator, on clocks the tests move:
renewed from the refresh token before it expires, once for many concurrent calls, and a refused
call sent once more after a renewal."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from domain.errors import BackendUnavailable
from domain.ports import Clock
from gateway.settings import load_settings
from gateway.wiring import wire_backends
from resolvers.backends import Backends
from simulators import ebay
from simulators.catalog import Catalog, marketplace_pool
from tests.clock import MovingClock
from tests.servers import ServerThread, Simulator

TOKEN = "POST /identity/v1/oauth2/token"
BULK = "POST /sell/inventory/v1/bulk_get_inventory_item"
LIFETIME = 7200  # what the simulator's tokens live, as eBay's user tokens do
SECRETS = {"CGW_BACKENDS__EBAY__CLIENT_ID": "ebay-demo-client",
           "CGW_BACKENDS__EBAY__CLIENT_SECRET": "ebay-demo-secret",
           "CGW_BACKENDS__EBAY__REFRESH_TOKEN": "ebay-demo-refresh-token"}


@pytest.fixture(scope="module")
def marketplace() -> Iterator[tuple[Simulator, Catalog, MovingClock]]:
    """An eBay simulator of this module's own, whose clock (eBay's) the tests move."""
    clock = MovingClock()
    catalog = Catalog(40, clock=clock)
    sim = Simulator("ebay", ServerThread(ebay.create_app(catalog)).start())
    yield sim, catalog, clock
    sim.http.close()
    sim.server.stop()


@pytest.fixture
async def connect(marketplace) -> AsyncIterator[Callable[..., Backends]]:
    """Wires the gateway's backends with a refresh token (unless overridden), reading `clock` as now
    (by default eBay's)."""
    sim, _, ebay_clock = marketplace
    opened = []

    def make(clock: Clock = ebay_clock, **overrides: str) -> Backends:
        environ = {"CGW_CONFIG": os.devnull, "CGW_BACKENDS__EBAY__BASE_URL": sim.url,
                   "CGW_BACKENDS__EBAY__ACCESS_TOKEN": "", **SECRETS, **overrides}
        wired = wire_backends(load_settings(environ=environ), clock=clock)
        opened.append(wired)
        return wired.backends

    yield make
    for wired in opened:
        await wired.aclose()


def listed(catalog: Catalog) -> list[str]:
    return [v.sku for p in catalog.products if p.on_marketplace for v in p.variants]


def calls(sim: Simulator) -> dict[str, int]:
    return {route: n for route, n in sim.stats().items() if route in (TOKEN, BULK)}


async def test_the_access_token_is_renewed_before_it_expires(marketplace, connect, caplog):
    sim, catalog, clock = marketplace
    marketplace_adapter = connect().marketplace
    skus = listed(catalog)[:3]
    sim.reset_stats()
    caplog.set_level(logging.DEBUG)
    # given a token renewed on the first call
    items = await marketplace_adapter.inventory_by_sku(skus)
    assert {i.sku: i.quantity for i in items} == {
        sku: marketplace_pool(catalog.variants_by_sku[sku][1].erp_id) for sku in skus}
    assert calls(sim) == {TOKEN: 1, BULK: 1}
    # when more than five minutes of its two hours are left, it serves on
    clock.advance(LIFETIME - 400)
    await marketplace_adapter.inventory_by_sku(skus)
    assert calls(sim) == {TOKEN: 1, BULK: 2}
    # then within the last five minutes it is renewed before the call, which eBay does not refuse
    clock.advance(200)
    await marketplace_adapter.inventory_by_sku(skus)
    assert calls(sim) == {TOKEN: 2, BULK: 3}
    # and no secret and no token went to the log
    assert not any(secret in caplog.text for secret in [*SECRETS.values(), "v^1.1#", "Basic ", "Bearer "])


async def test_many_concurrent_calls_wait_for_one_renewal(marketplace, connect):
    sim, catalog, clock = marketplace
    marketplace_adapter = connect().marketplace
    skus = listed(catalog)
    sim.reset_stats()
    # when a cold adapter is asked for every offer (one call a SKU), the pools and the whole inventory at once
    offers, items, everything = await asyncio.gather(marketplace_adapter.offers_by_sku(skus),
                                                     marketplace_adapter.inventory_by_sku(skus),
                                                     marketplace_adapter.all_inventory())
    # then they all waited for one token
    assert len(offers) == len(items) == len(everything) == len(skus) > 8
    assert sim.stats()[TOKEN] == 1
    # and when it is due, for one renewal again
    clock.advance(LIFETIME - 60)
    await asyncio.gather(marketplace_adapter.offers_by_sku(skus), marketplace_adapter.inventory_by_sku(skus))
    assert sim.stats()[TOKEN] == 2


async def test_a_refused_token_is_renewed_and_the_call_sent_once_more(marketplace, connect):
    sim, catalog, ebay_clock = marketplace
    # given a gateway whose clock lags eBay's by more than a token's life
    gateway_clock = MovingClock(start=ebay_clock())
    marketplace_adapter = connect(clock=gateway_clock).marketplace
    skus = listed(catalog)[:5]
    await marketplace_adapter.inventory_by_sku(skus[:1])
    ebay_clock.advance(LIFETIME + 60)
    sim.reset_stats()
    # when five calls are sent at once with the token eBay now finds expired
    answers = await asyncio.gather(*(marketplace_adapter.inventory_by_sku([sku]) for sku in skus))
    # then each was refused once and answered after the one renewal they shared
    assert [[i.sku for i in items] for items in answers] == [[sku] for sku in skus]
    assert calls(sim) == {TOKEN: 1, BULK: 10}


async def test_a_token_refused_again_after_renewal_is_a_clear_error(marketplace, connect):
    sim, catalog, _ = marketplace
    marketplace_adapter = connect().marketplace
    sku = listed(catalog)[0]
    await marketplace_adapter.inventory_by_sku([sku])
    sim.reset_stats()
    sim.http.post("/__tokens", json={"refuse": True}).raise_for_status()
    try:
        with pytest.raises(BackendUnavailable) as refused:
            await marketplace_adapter.inventory_by_sku([sku])
    finally:
        sim.http.post("/__tokens", json={"refuse": False}).raise_for_status()
    # one renewal and one more try, then an error naming the token and what eBay said
    assert calls(sim) == {TOKEN: 1, BULK: 2}
    assert str(refused.value) == ("ebay: refused the access token just renewed from backends.ebay.refresh_token "
                                  "too (HTTP 401: 1001: Invalid access token)")


async def test_a_refused_renewal_names_the_settings_and_no_secret(marketplace, connect):
    sim, catalog, _ = marketplace
    marketplace_adapter = connect(CGW_BACKENDS__EBAY__REFRESH_TOKEN="revoked-refresh-token").marketplace
    with pytest.raises(BackendUnavailable) as refused:
        await marketplace_adapter.inventory_by_sku(listed(catalog)[:1])
    message = str(refused.value)
    assert "backends.ebay.client_id, client_secret, refresh_token and scopes" in message
    assert "HTTP 400: invalid_grant: the provided authorization refresh token is invalid" in message
    assert "revoked-refresh-token" not in message and "ebay-demo-secret" not in message


async def test_without_a_refresh_token_the_static_token_is_sent_and_a_refusal_stands(marketplace, connect):
    sim, catalog, clock = marketplace
    unset = dict.fromkeys(SECRETS, "")
    backends = connect(**unset, CGW_BACKENDS__EBAY__ACCESS_TOKEN="ebay-demo-token")
    sku = listed(catalog)[0]
    sim.reset_stats()
    clock.advance(LIFETIME * 3)  # no expiry is known of it: it is sent as long as eBay takes it
    assert [i.sku for i in await backends.marketplace.inventory_by_sku([sku])] == [sku]
    wrong = connect(**unset, CGW_BACKENDS__EBAY__ACCESS_TOKEN="expired")
    with pytest.raises(BackendUnavailable, match="1001: Invalid access token"):
        await wrong.marketplace.inventory_by_sku([sku])
    assert calls(sim) == {BULK: 2}
