"""Each backend gets one pool of connections, as the gateway wires it: at most
`backends.<name>.max_connections` open at once, and reused from call to call (keep-alive)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.settings import load_settings
from gateway.wiring import wire_backends
from simulators.registry import SIMULATORS, build_app
from tests.conftest import gateway_environ
from tests.servers import ServerThread


class ConnectionLog:
    """In front of an ASGI app: the client address of every request, which differs per connection."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.peers: list[tuple[str, int]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.peers.append(tuple(scope["client"]))
        await self.app(scope, receive, send)


@pytest.fixture
def logged(request: pytest.FixtureRequest, catalog) -> Iterator[tuple[str, ConnectionLog]]:
    """The backend's own simulator behind a connection log, answering after 50 ms (calls overlap)."""
    log = ConnectionLog(build_app(request.param, catalog))
    server = ServerThread(log).start()
    httpx.post(f"{server.url}/__faults", json={"latency_ms": 50}).raise_for_status()
    log.peers.clear()
    yield server.url, log
    server.stop()


@pytest.mark.parametrize("transport", ["aiohttp", "httpcore"])
@pytest.mark.parametrize("logged", SIMULATORS, indirect=True)
async def test_a_backend_gets_at_most_its_max_connections_and_keeps_them_open(logged, request, simulators,
                                                                                mongo_url, transport):
    # given the gateway's clients, with a pool of 2 for this backend
    url, log = logged
    name = request.node.callspec.params["logged"]
    wired = wire_backends(load_settings(environ=gateway_environ(
        simulators, mongo_url, **{f"CGW_BACKENDS__{name.upper()}__BASE_URL": url,
                                  f"CGW_BACKENDS__{name.upper()}__MAX_CONNECTIONS": "2",
                                  "CGW_BACKENDS__HTTP_TRANSPORT": transport})))
    backend = next(b for b in wired.backends.all() if b.name == name)
    try:
        # when six calls run at once
        await asyncio.gather(*(backend.ping() for _ in range(6)))
        # then they shared two connections
        assert len(log.peers) == 6 and len(set(log.peers)) == 2
        # and when four more follow one after the other, they go over the same two, opening none
        for _ in range(4):
            await backend.ping()
        assert len(log.peers) == 10 and set(log.peers[6:]) <= set(log.peers[:6])
    finally:
        await wired.aclose()
