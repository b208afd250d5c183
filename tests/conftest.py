"""Shared fixtures: the four simulators, the embedded store, and a live gateway over them.

Set COMMERCE_GATEWAY_TEST_MONGO_URL to run against a real MongoDB instead of the embedded store.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import httpx
import pytest

from commerce_gateway.simulators.catalog import Catalog
from commerce_gateway.simulators.registry import SIMULATORS, build_app
from tests.servers import LoopThread, ServerThread, Simulator

CATALOG_SIZE = 300
BACKEND_TIMEOUT = 0.5


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog(CATALOG_SIZE)


@pytest.fixture(scope="session")
def simulators(catalog: Catalog) -> Iterator[dict[str, Simulator]]:
    running = {name: Simulator(name, ServerThread(build_app(name, catalog)).start()) for name in SIMULATORS}
    yield running
    for sim in running.values():
        sim.server.stop()


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
    from commerce_gateway.adapters.mongo.embedded import IN_MEMORY, new_server

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
        **{f"CGW_BACKENDS__{b.upper()}__TIMEOUT_SECONDS": str(BACKEND_TIMEOUT)
           for b in ("woocommerce", "medusa", "odoo", "ebay")},
        "CGW_CONFIG": os.devnull,
    }
    return {**env, **extra}


@contextlib.contextmanager
def served_gateway(simulators: dict[str, Simulator], mongo_url: str, **settings_env: str) -> Iterator[str]:
    """Base URL of a gateway app served by uvicorn on loopback, over the simulators, with
    `settings_env` (CGW_… variables) on top of the test defaults."""
    from commerce_gateway.gateway.app import create_app
    from commerce_gateway.gateway.settings import load_settings

    settings = load_settings(environ=gateway_environ(simulators, mongo_url, **settings_env))
    server = ServerThread(create_app(settings), lifespan="on").start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gateway(simulators: dict[str, Simulator], mongo_url: str) -> Iterator[str]:
    with served_gateway(simulators, mongo_url) as url:
        yield url


class GraphQLClient:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def post(self, query: str, variables: dict | None = None, headers: dict | None = None) -> httpx.Response:
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def __call__(self, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
        response = self.post(query, variables, headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def gql(gateway: str) -> Iterator[GraphQLClient]:
    client = GraphQLClient(gateway)
    yield client
    client.http.close()
