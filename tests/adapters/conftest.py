"""Adapters built exactly as the gateway wires them, pointed at the simulators over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.settings import load_settings
from gateway.wiring import wire_backends
from resolvers.backends import Backends
from simulators import odoo
from simulators.catalog import Catalog
from tests.conftest import gateway_environ
from tests.servers import ServerThread


@pytest.fixture
async def backends(simulators, mongo_url) -> AsyncIterator[Backends]:
    wired = wire_backends(load_settings(environ=gateway_environ(simulators, mongo_url)))
    yield wired.backends
    await wired.aclose()


@pytest.fixture
async def make_backends(simulators, mongo_url) -> AsyncIterator:
    """Builds backends with setting overrides, e.g. the JSON-RPC transport or wrong credentials."""
    opened = []

    def make(**overrides: str) -> Backends:
        wired = wire_backends(load_settings(environ=gateway_environ(simulators, mongo_url, **overrides)))
        opened.append(wired)
        return wired.backends

    yield make
    for wired in opened:
        await wired.aclose()


@pytest.fixture
async def raw_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def start_odoo() -> Iterator[Callable[..., str]]:
    """Starts an Odoo simulator of its own (`simulators.odoo.create_app` options: version, addons,
    key expiry) over a catalog; answers its base URL."""
    servers: list[ServerThread] = []

    def start(catalog: Catalog, **options: Any) -> str:
        servers.append(ServerThread(odoo.create_app(catalog, **options)).start())
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()
