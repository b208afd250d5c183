"""The real console command: `commerce-gateway serve` in its own process, starting the embedded store
on a SQLite file, over the simulators; then a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from gateway.processes import free_port
from tests.conftest import gateway_environ, key_from_cli
from tests.servers import ServeProcess, alive, children

pytestmark = pytest.mark.slow


@pytest.fixture
def served(simulators, tmp_path):
    env = {**os.environ, **gateway_environ(simulators, ""), "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "store.sqlite")}
    env.pop("CGW_MONGO__URL")  # no URL: serve starts the embedded store itself
    key = key_from_cli(env)
    gateway = ServeProcess(env)
    yield gateway.url, gateway.child, tmp_path, key
    gateway.stop()


def test_serve_answers_reports_readiness_and_stops_cleanly(served, catalog):
    base, child, tmp_path, key = served
    # when
    ready = httpx.get(f"{base}/readyz", timeout=10)
    answer = httpx.post(f"{base}/graphql", json={"query": '{ product(sku: "CG-000001") { sku title } }'},
                        headers={"X-Request-Id": "e2e-1", "X-API-Key": key}, timeout=10)
    # then every dependency is reachable, the embedded store included
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "down": [], "breakers_open": []}
    assert answer.json()["data"] == {"product": {"sku": "CG-000001", "title": catalog.products[0].title}}
    assert answer.json()["extensions"]["cost"]["requested"] == 1
    assert answer.headers["x-request-id"] == "e2e-1"
    assert (tmp_path / "store.sqlite").exists()
    # and Ctrl-C stops the gateway and its embedded store
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=20)
    assert child.returncode == 0, output
    assert '"request_id": "e2e-1"' in output  # structured logs carry the request id
    assert "Traceback" not in output


def test_readiness_names_a_backend_that_is_down(served, simulators):
    base, _, _, _ = served
    simulators["medusa"].faults(down=True)
    deadline = time.monotonic() + 10  # the latest round is kept server.readiness_cache_seconds (5 s)
    while (ready := httpx.get(f"{base}/readyz", timeout=10)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "down": ["medusa"], "breakers_open": []}


def test_a_bad_config_stops_start_up_naming_the_key(tmp_path):
    env = {**os.environ, "CGW_CONFIG": os.devnull, "CGW_BACKENDS__ODOO__TRANSPORT": "soap"}
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "serve"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "backends.odoo.transport: must be one of json2, jsonrpc" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_busy_port_stops_start_up_before_any_store_starts(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {**os.environ, "CGW_CONFIG": os.devnull, "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "store.sqlite")}
        result = subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                                env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "store.sqlite").exists()


def test_a_busy_metrics_port_stops_start_up_before_any_store_starts(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {**os.environ, "CGW_CONFIG": os.devnull, "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "store.sqlite"),
               "CGW_METRICS__PORT": str(port)}
        result = subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--workers", "2",
                                 "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()  # one line, naming the metrics address
    assert line.startswith(f"commerce-gateway: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert not (tmp_path / "store.sqlite").exists()


def test_a_hard_killed_gateway_takes_its_embedded_store_with_it(served):
    _, child, _, _ = served
    (store,) = children(child.pid)
    # when serve dies without a chance to stop its children
    child.kill()
    child.wait()
    # then the store notices and stops, freeing its port
    deadline = time.monotonic() + 10
    while alive(store) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(store)
