"""Shared fixtures: the four simulators, the embedded store, and a live gateway over them.

Set COMMERCE_GATEWAY_TEST_MONGO_URL to run against a real MongoDB instead of the embedded store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from domain.ports import Clock, utc_now
from simulators.catalog import Catalog
from simulators.registry import SERVED_HEAD_BYTES, SIMULATORS, build_app
from tests.servers import LoopThread, ServerThread, Simulator

CATALOG_SIZE = 300
BACKEND_TIMEOUT = 0.5
INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/integration installs and starts real systems: collected only when named (make integration)."""
    named = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if collection_path == INTEGRATION and not any(p.is_relative_to(INTEGRATION) for p in named):
        return True
    return None


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog(CATALOG_SIZE)


@contextlib.contextmanager
def running_simulators(catalog: Catalog) -> Iterator[dict[str, Simulator]]:
    """The four simulators over `catalog`, each on its own port, stopped at the end."""
    running = {name: Simulator(name, ServerThread(build_app(name, catalog), h11_max_incomplete_event_size=SERVED_HEAD_BYTES).start())
               for name in SIMULATORS}
    try:
        yield running
    finally:
        for sim in running.values():  # all asked to stop first: they stop at once, not one after another
            sim.http.close()
            sim.server.server.should_exit = True
        for sim in running.values():
            sim.server.stop()


@pytest.fixture(scope="session")
def simulators(catalog: Catalog) -> Iterator[dict[str, Simulator]]:
    with running_simulators(catalog) as running:
        yield running


@pytest.fixture(scope="module")
def clock() -> Clock:
    """What a module's own simulators (`backends`) read as now: real time, unless the module defines a
    `clock` fixture of its own that its tests move (tests/clock.py)."""
    return utc_now


@pytest.fixture(scope="module")
def backends(clock: Clock) -> Iterator[tuple[Catalog, dict[str, Simulator]]]:
    """A small catalog and simulators of the test module's own, for tests that change the catalog,
    stamping changes with the module's `clock`."""
    catalog = Catalog(40, clock=clock)
    with running_simulators(catalog) as running:
        yield catalog, running


@pytest.fixture(autouse=True)
def healthy_backends(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts and ends with all simulators healthy."""
    yield
    if "simulators" in request.fixturenames:
        for sim in request.getfixturevalue("simulators").values():
            sim.heal()


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    if url := os.environ.get("COMMERCE_GATEWAY_TEST_MONGO_URL"):
        yield url
        return
    from adapters.mongo.embedded import IN_MEMORY, new_server

    loop = LoopThread()
    server = new_server(IN_MEMORY)
    address = loop.run(server.start)
    yield address.uri
    loop.run(server.close)
    loop.stop()


def gateway_environ(simulators: dict[str, Simulator], mongo_url: str, **extra: str) -> dict[str, str]:
    env = {
        "CGW_MONGO__URL": mongo_url,
        "CGW_BACKENDS__WOOCOMMERCE__BASE_URL": simulators["woocommerce"].url,
        "CGW_BACKENDS__MEDUSA__BASE_URL": simulators["medusa"].url,
        "CGW_BACKENDS__ODOO__BASE_URL": simulators["odoo"].url,
        "CGW_BACKENDS__EBAY__BASE_URL": simulators["ebay"].url,
        # the simulated Odoo has the OCA brand add-on (a stock Odoo has no brand field)
        "CGW_BACKENDS__ODOO__BRAND_FIELD": "product_brand_id",
        # the simulated installation keeps marketing consent in a Studio field; the app's Admin API key
        "CGW_BACKENDS__ODOO__MARKETING_CONSENT_FIELD": "x_accepts_marketing",
        "CGW_BACKENDS__MEDUSA__SECRET_API_KEY": "sk_demo",
        **{f"CGW_BACKENDS__{b.upper()}__TIMEOUT_SECONDS": str(BACKEND_TIMEOUT)
           for b in ("woocommerce", "medusa", "odoo", "ebay")},
        "CGW_CONFIG": os.devnull,
        # no background sweep of the marketplace: it would add eBay calls to the tests that count them
        "CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": "0",
        # no subscriptions: their hub would keep the change feeds' poll running (and calling backends) in tests that
        # count backend calls (tests/api/test_subscriptions.py turns them on)
        "CGW_SUBSCRIPTIONS__ENABLED": "false",
        # no background folding of orders into recommendations: its ERP calls would add to the counted ones
        # (tests/api/test_recommendations.py folds them in itself)
        "CGW_CATALOG__RECOMMENDATIONS_POLL_SECONDS": "0",
        # no partner webhook worker (nor the change feeds' poll it would start): tests/api/test_webhooks.py runs it
        "CGW_WEBHOOKS__EVERY_SECONDS": "0",
        # no shared answers (neither kept nor coalesced): tests that count backend calls, change the catalog
        # or break a backend would read the answers of earlier tests (tests/api/test_answer_cache.py turns them on)
        "CGW_CACHE__ANSWER_CACHE_BYTES": "0",
        # no retries and no circuit breakers: a test that breaks a backend counts the calls it makes, and a breaker
        # it opened would fail the next tests' calls fast (tests/adapters/test_resilience.py and
        # tests/api/test_backend_breakers.py turn them on)
        **{f"CGW_BACKENDS__{b.upper()}__{key}": "0" for b in ("woocommerce", "medusa", "odoo", "ebay")
           for key in ("RETRIES", "BREAKER_FAILURES")},
    }
    return {**env, **extra}


@contextlib.contextmanager
def served_gateway(simulators: dict[str, Simulator], mongo_url: str, clock: Clock = utc_now,
                   **settings_env: str) -> Iterator[str]:
    """Base URL of a gateway app served by uvicorn on loopback, over the simulators, with
    `settings_env` (CGW_… variables) on top of the test defaults, reading `clock` as now."""
    from gateway.app import create_app
    from gateway.settings import load_settings

    settings = load_settings(environ=gateway_environ(simulators, mongo_url, **settings_env))
    server = ServerThread(create_app(settings, clock=clock), lifespan="on").start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gateway(simulators: dict[str, Simulator], mongo_url: str) -> Iterator[str]:
    with served_gateway(simulators, mongo_url) as url:
        yield url


def issue_key(mongo_url: str, kind: str = "frontend", *, name: str = "test", database: str | None = None,
              issued_at: datetime | None = None, **spec: object) -> str:
    """A new API key in the store the test gateways use (their default database unless named), as sent;
    issued `issued_at` (default: now), so that a test makes a key as old as it needs."""
    from adapters.mongo import client as mongo
    from adapters.mongo.api_keys import MongoApiKeyStore
    from domain.api_keys import KeyKind
    from gateway.settings import MongoSettings
    from resolvers import api_keys

    async def issue() -> str:
        client = mongo.open_client(mongo_url)
        try:
            store = MongoApiKeyStore(client, database or MongoSettings().database)
            _, full = await api_keys.issue(store, api_keys.KeySpec(name=name, kind=KeyKind(kind), **spec), "tests",
                                           issued_at)
            return full
        finally:
            await client.close()

    return asyncio.run(issue())


def key_from_cli(env: dict[str, str], kind: str = "frontend", *options: str) -> str:
    """A key made with `commerce-gateway keys create` in the store `env` points at (run it before a
    `serve` on the same embedded file starts)."""
    made = subprocess.run([sys.executable, "-m", "gateway.cli", "keys", "create", "--name", "e2e",
                           "--kind", kind, *options, "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)["key"]


def scrape(metrics_url: str) -> dict[str, Counter[tuple[tuple[str, str], ...]]]:
    """`GET /metrics`, as sample name → sorted labels → value."""
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(f"{metrics_url}/metrics")
    assert response.status_code == 200, response.text
    found: dict[str, Counter[tuple[tuple[str, str], ...]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, Counter())[tuple(sorted(sample.labels.items()))] = sample.value
    return found


UNLIMITED = {"requests_per_minute": 10_000_000, "cost_per_minute": 1_000_000_000}


@pytest.fixture(scope="session")
def api_key(mongo_url: str) -> str:
    """A frontend key with every frontend scope, budgets no test reaches, and checkout at every
    channel but the marketplace (the tests check out at APP and STORE prices too)."""
    from domain.channels import Channel

    channels = (Channel.WEB, Channel.APP, Channel.STORE, Channel.CALL_CENTER)
    return issue_key(mongo_url, "frontend", name="test suite", channels=channels, **UNLIMITED)


class GraphQLClient:
    def __init__(self, base_url: str, api_key: str | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, headers={"X-API-Key": api_key} if api_key else {})

    def post(self, query: str, variables: dict | None = None, headers: dict | None = None) -> httpx.Response:
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def __call__(self, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
        """The answer without `extensions.cost` (which every answer carries; tests/api/test_cost.py reads it)."""
        response = self.post(query, variables, headers)
        assert response.status_code == 200, response.text
        answer = response.json()
        extensions = answer.get("extensions", {})
        extensions.pop("cost", None)
        if not extensions:
            answer.pop("extensions", None)
        return answer


@pytest.fixture
def client_with_key(gateway: str, mongo_url: str) -> Iterator[Callable[..., GraphQLClient]]:
    """Makes clients of the shared gateway, each with a new key (`issue_key` arguments); closes them after."""
    made: list[GraphQLClient] = []

    def make(kind: str = "frontend", **spec: object) -> GraphQLClient:
        made.append(GraphQLClient(gateway, issue_key(mongo_url, kind, **spec)))
        return made[-1]

    yield make
    for client in made:
        client.http.close()


@pytest.fixture(scope="session")
def gql(gateway: str, api_key: str) -> Iterator[GraphQLClient]:
    client = GraphQLClient(gateway, api_key)
    yield client
    client.http.close()
