"""The GraphQL-over-HTTP audit suite of the `graphql-http` npm package against the live gateway:
zero errors and zero warnings. The package is installed once into a folder this test owns."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.http.node_packages import node_script

HERE = Path(__file__).parent
PACKAGES = ["graphql-http@1.23.1", "graphql@16.15.0"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audit_package() -> Path:
    return node_script("graphql-http-audit", PACKAGES, HERE / "audit.mjs")


def test_the_endpoint_passes_every_audit_without_warnings(audit_package, gateway, api_key):
    run = subprocess.run(["node", str(audit_package), f"{gateway}/graphql", api_key], capture_output=True, text=True,
                         timeout=120, check=True)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["error"] == [] and summary["warn"] == []
    assert summary["ok"] >= 50


@pytest.mark.parametrize(("method", "request_kwargs", "status", "says"), [
    ("GET", {"params": {"query": 'mutation { cartCreate(input: {}) { cart { id } } }'}}, 405, "only run over POST"),
    ("POST", {"content": b"{nope", "headers": {"content-type": "application/json"}}, 400, "parse request body"),
    ("POST", {"content": b"{ channels { code } }", "headers": {"content-type": "text/plain"}}, 400,
     "Unsupported content type"),
    ("POST", {"json": {"variables": {}}}, 400, "No GraphQL query"),
    # one operation per request: a JSON array (a batch) is refused as a whole
    ("POST", {"json": [{"query": "{ channels { code } }"}, {"query": "{ channels { code } }"}]}, 400,
     "Batching is not enabled"),
])
def test_requests_refused_before_graphql_answer_in_the_error_shape(gateway, api_key, simulators, method,
                                                                   request_kwargs, status, says):
    for sim in simulators.values():
        sim.reset_stats()
    headers = {"X-API-Key": api_key, **request_kwargs.pop("headers", {})}
    response = httpx.request(method, f"{gateway}/graphql", headers=headers, **request_kwargs)
    assert response.status_code == status
    (error,) = response.json()["errors"]
    assert says in error["message"] and error["extensions"]["code"] in ("BAD_REQUEST", "METHOD_NOT_ALLOWED")
    if status == 405:
        assert response.headers["allow"] == "POST"
    assert all(not sim.stats() for sim in simulators.values())  # nothing ran
