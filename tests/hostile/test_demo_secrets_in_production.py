"""Attack: the demo's JWT secret and API keys are published (README, every demo start's output); a
production gateway that accepts them lets anyone sign customer tokens or call with a demo key. A
production start with either is refused, with a one-line reason."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

from gateway.demo_keys import ensure_demo_keys, keys_file
from gateway.settings import load_settings
from gateway.wiring import build_services
from tests.conftest import gateway_environ

OWN_SECRET = "a-secret-of-this-installation-0123456789"


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--port", "0"],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def test_production_start_with_the_demo_jwt_secret_is_refused(simulators, mongo_url):
    # given: production, and the secret left at the demo's value
    env = gateway_environ(simulators, mongo_url, CGW_SERVER__PRODUCTION="true")
    # when
    started = serve(env)
    # then
    assert started.returncode == 2
    reason = started.stderr.strip()
    assert len(reason.splitlines()) == 1 and "auth.jwt_secret" in reason and "production" in reason, reason


def test_production_start_with_the_demo_api_keys_is_refused(simulators, mongo_url, tmp_path):
    # given: a store where the demo made its keys, and a production configuration with a secret of its own
    database = f"demo_keys_{uuid.uuid4().hex[:8]}"
    env = gateway_environ(simulators, mongo_url, CGW_SERVER__PRODUCTION="true", CGW_AUTH__JWT_SECRET=OWN_SECRET,
                          CGW_MONGO__DATABASE=database, CGW_MONGO__EMBEDDED_PATH=str(tmp_path / "var" / "store.db"))
    settings = load_settings(environ=env)

    async def demo_keys() -> dict[str, str]:
        async with build_services(settings) as built:
            return await ensure_demo_keys(built.keys, keys_file(settings.mongo.embedded_path))

    made = asyncio.run(demo_keys())
    # when
    started = serve(env)
    # then
    assert started.returncode == 2
    reason = started.stderr.strip()
    assert len(reason.splitlines()) == 1 and "demo's published API keys" in reason, reason
    assert all(raw.split("_")[1] in reason for raw in made.values()), reason
    # and without the kept file (another machine), the store still names them
    keys_file(settings.mongo.embedded_path).unlink()
    again = serve(env)
    assert again.returncode == 2 and "demo's published API keys" in again.stderr, again.stderr
