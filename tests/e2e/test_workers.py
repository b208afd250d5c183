"""`commerce-gateway serve --workers 2`: two gateway processes on one port, over the one embedded
store `serve` starts. They share a key's budget, /metrics reports them together, and they go
when `serve` goes, however it goes."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.processes import free_port
from tests.conftest import gateway_environ, key_from_cli, scrape
from tests.servers import ServeProcess, alive, children

pytestmark = pytest.mark.slow
PER_MINUTE = 20
LISTING = "query Listing { products(first: 5) { edges { node { sku title } } } }"


@dataclass(frozen=True)
class Workers:
    gateway: ServeProcess
    metrics_url: str
    limited_key: str
    key: str


@pytest.fixture(scope="module")
def workers(simulators, tmp_path_factory):
    """`serve --workers 2` with its own embedded store and metrics on a port of their own, and two
    keys made before it starts: one of 20 requests a minute, one no test exhausts."""
    env = {**os.environ, **gateway_environ(simulators, ""), "CGW_METRICS__PORT": str(free_port()),
           "CGW_MONGO__EMBEDDED_PATH": str(tmp_path_factory.mktemp("workers") / "store.sqlite")}
    env.pop("CGW_MONGO__URL")  # serve starts the embedded store, once, for both workers
    limited = key_from_cli(env, "frontend", "--requests-per-minute", str(PER_MINUTE))
    unlimited = key_from_cli(env, "frontend", "--requests-per-minute", "1000000")
    gateway = ServeProcess(env, "--workers", "2")
    yield Workers(gateway, f"http://127.0.0.1:{env['CGW_METRICS__PORT']}", limited, unlimited)
    gateway.stop()


def worker_requests(metrics_url: str) -> Counter[str]:
    """Requests answered so far, per worker pid."""
    return Counter({dict(labels)["pid"]: int(n)
                    for labels, n in scrape(metrics_url)["gateway_worker_requests"].items()})


def serving_worker(client: httpx.Client, metrics_url: str) -> str:
    """The pid of the worker behind `client`'s kept-alive connection: the one whose count grows by
    the five requests sent on it (each scrape adds one to whichever worker answers it)."""
    before = worker_requests(metrics_url)
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    grown = worker_requests(metrics_url) - before
    (pid,) = [pid for pid, n in grown.items() if n >= 5]
    return pid


@contextlib.contextmanager
def connections_to_both(workers: Workers, key: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two kept-alive connections with `key`, each accepted by another worker."""
    opened: list[httpx.Client] = []
    try:
        pids: list[str] = []
        for _ in range(50):  # each new connection goes to either worker, as the kernel hands it out
            opened.append(httpx.Client(base_url=workers.gateway.url, headers={"X-API-Key": key}, timeout=10))
            pids.append(serving_worker(opened[-1], workers.metrics_url))
            if pids[-1] != pids[0]:
                yield opened[0], opened[-1]
                return
        raise AssertionError("every connection went to the same worker")
    finally:
        for client in opened:
            client.close()


def test_two_workers_on_one_port_share_one_key_budget(workers):
    # given one connection to each worker, and a key of 20 requests a minute
    with connections_to_both(workers, workers.limited_key) as (first, second):
        pids = {serving_worker(first, workers.metrics_url), serving_worker(second, workers.metrics_url)}
        started = time.monotonic()
        statuses: Counter[tuple[int, int]] = Counter()
        # when 40 requests alternate between them
        for i in range(2 * PER_MINUTE):
            response = (first, second)[i % 2].post("/graphql", json={"query": "{ channels { code } }"})
            statuses[i % 2, response.status_code] += 1
    refilled = (time.monotonic() - started) * PER_MINUTE / 60
    # then both workers are children of serve, both answered, and together they admitted what the
    # one bucket holds (plus its refill), then answered 429 wherever the request landed
    assert len(pids) == 2 and pids <= {str(pid) for pid in children(workers.gateway.child.pid)}
    assert statuses[0, 200] > 0 and statuses[1, 200] > 0
    assert PER_MINUTE <= statuses[0, 200] + statuses[1, 200] <= PER_MINUTE + int(refilled) + 1, statuses
    assert statuses[0, 200] + statuses[0, 429] + statuses[1, 200] + statuses[1, 429] == 2 * PER_MINUTE


def test_metrics_report_both_workers_together(workers, simulators):
    # given one connection to each worker
    with connections_to_both(workers, workers.key) as (first, second):
        for client in (first, second):  # each worker's store directory read before counting
            assert client.post("/graphql", json={"query": "{ stores(first: 1) { name } }"}).status_code == 200
        before = scrape(workers.metrics_url)
        for sim in simulators.values():
            sim.reset_stats()
        # when the first worker answers three listings and the second two
        for client, times in ((first, 3), (second, 2)):
            for _ in range(times):
                answer = client.post("/graphql", json={"query": LISTING})
                assert answer.status_code == 200 and "errors" not in answer.json()
    # then one scrape, whichever worker answers it, counts all five and every backend call they made
    after = scrape(workers.metrics_url)
    listing = (("operation", "Listing"), ("status", "200"))
    assert after["gateway_requests_total"][listing] - before["gateway_requests_total"][listing] == 5
    calls = after["gateway_backend_requests_total"]
    calls.subtract(before["gateway_backend_requests_total"])
    for name, sim in simulators.items():
        made = sum(n for labels, n in calls.items() if ("backend", name) in labels)
        assert made == sum(n for call, n in sim.stats().items() if not call.startswith("rpc ")), name
    assert sum(calls.values()) > 0
    # and the per-worker series names both workers, and no other process
    assert set(worker_requests(workers.metrics_url)) <= {str(p) for p in children(workers.gateway.child.pid)}
    assert len(worker_requests(workers.metrics_url)) == 2


def test_metrics_answer_on_their_own_port_only(workers):
    # metrics.port set: /metrics is not on the gateway's port, and the API is not on the metrics port
    assert httpx.get(f"{workers.gateway.url}/metrics").status_code == 404
    assert httpx.post(f"{workers.metrics_url}/graphql", json={"query": "{ channels { code } }"},
                      headers={"X-API-Key": workers.key}).status_code == 404
    assert httpx.get(f"{workers.metrics_url}/metrics").status_code == 200


def test_workers_and_store_go_when_serve_is_killed_hard(simulators, tmp_path):
    env = {**os.environ, **gateway_environ(simulators, ""), "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "s.sqlite")}
    env.pop("CGW_MONGO__URL")
    gateway = ServeProcess(env, "--workers", "2")
    try:
        started = children(gateway.child.pid)
        assert len(started) >= 3  # the store and two workers
        # when serve dies without a chance to stop its children
        gateway.child.kill()
        gateway.child.wait()
        # then every one of them notices and stops, freeing the port
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in started)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gateway.url}/healthz", timeout=2)
    finally:
        gateway.stop()
        # what serve could not remove (the next serve would): not left behind by the tests
        for left in Path(tempfile.gettempdir()).glob(f"commerce-gateway-metrics-{gateway.child.pid}-*"):
            shutil.rmtree(left)
