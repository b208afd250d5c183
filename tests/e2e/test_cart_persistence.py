"""A cart outlives a restart of the gateway and of its embedded store (same SQLite file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.processes import free_port
from tests.conftest import gateway_environ, key_from_cli

pytestmark = pytest.mark.slow
CREATE = """mutation($sku: ID!) { cartCreate(input: {note: "keep me", lines: [{merchandiseId: $sku, quantity: 2}]}) {
  cart { id version } userErrors { code } } }"""
READ = "query($id: ID!) { cart(id: $id) { version note totalQuantity lines { merchandise { sku } } } }"
VARIANT_ID = "query { product(sku: \"CG-000001\") { variants { id sku } } }"


def serve_env(simulators, store: Path) -> dict[str, str]:
    env = {**os.environ, **gateway_environ(simulators, ""), "CGW_MONGO__EMBEDDED_PATH": str(store)}
    env.pop("CGW_MONGO__URL")
    return env


def start_serve(simulators, store: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = serve_env(simulators, store)
    child = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return child, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    child.kill()
    pytest.fail("serve did not become ready")


def stop(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGINT)
    assert child.wait(20) == 0


def graphql(base: str, key: str, query: str, variables: dict) -> dict:
    answer = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                        headers={"X-API-Key": key}, timeout=30).json()
    assert "errors" not in answer, answer
    return answer["data"]


def test_a_cart_survives_restarting_gateway_and_store(simulators, tmp_path):
    store = tmp_path / "store.sqlite"
    key = key_from_cli(serve_env(simulators, store))
    # given a cart made through one gateway and its store
    child, base = start_serve(simulators, store)
    try:
        variant = graphql(base, key, VARIANT_ID, {})["product"]["variants"][0]
        cart = graphql(base, key, CREATE, {"sku": variant["id"]})["cartCreate"]["cart"]
    finally:
        stop(child)
    # when both are stopped and started again on the same file
    child, base = start_serve(simulators, store)
    try:
        found = graphql(base, key, READ, {"id": cart["id"]})["cart"]
    finally:
        stop(child)
    # then the cart is intact
    assert found == {"version": 1, "note": "keep me", "totalQuantity": 2,
                     "lines": [{"merchandise": {"sku": variant["sku"]}}]}
