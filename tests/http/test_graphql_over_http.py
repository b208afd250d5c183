"""The GraphQL-over-HTTP audit suite of the `graphql-http` npm package against the live gateway:
zero errors and zero warnings. The package is installed once into a folder this test owns."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PACKAGES = ["graphql-http@1.23.1", "graphql@16.15.0"]
CACHE = HERE.parent.parent / ".cache" / "graphql-http-audit"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audit_package() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("the GraphQL-over-HTTP audit needs Node.js and npm on the PATH")
    marker = CACHE / "installed.json"
    if not marker.exists() or json.loads(marker.read_text()) != PACKAGES:
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_text('{"name": "graphql-http-audit", "private": true, "type": "module"}')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(CACHE), *PACKAGES],
                       check=True, capture_output=True, timeout=300)
        marker.write_text(json.dumps(PACKAGES))
    shutil.copy(HERE / "audit.mjs", CACHE / "audit.mjs")
    return CACHE / "audit.mjs"


def test_the_endpoint_passes_every_audit_without_warnings(audit_package, gateway, api_key):
    run = subprocess.run(["node", str(audit_package), f"{gateway}/graphql", api_key], capture_output=True, text=True,
                         timeout=120, check=True)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["error"] == [] and summary["warn"] == []
    assert summary["ok"] >= 50
