"""One composition root (gateway/wiring.py, `build_services`): what the CLI commands write is what
the services it builds for the app read, it closes everything it opened, and the benchmarks'
unguarded gateway is the same app built with options, nothing patched."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from domain.api_keys import KeyKind
from gateway import cli
from gateway.access import Admitted
from gateway.settings import load_settings
from gateway.wiring import build_services
from resolvers import api_keys
from tests.conftest import gateway_environ
from tests.servers import ServerThread

BENCH = Path(__file__).resolve().parents[2] / "bench"
CHANNELS = "{ channels { code } }"


@pytest.fixture
def store_env(mongo_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a CLI command on the test store, in a database of the test's own."""
    env = {"CGW_CONFIG": os.devnull, "CGW_MONGO__URL": mongo_url,
           "CGW_MONGO__DATABASE": f"root_{uuid.uuid4().hex[:8]}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    """A CLI command run as `commerce-gateway` runs it (its arguments parsed, its settings loaded
    from the environment); its JSON output."""
    args = cli.parser().parse_args([*argv, "--json"])
    assert args.func(args) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_a_key_made_by_the_keys_command_is_admitted_by_the_gatekeeper_the_root_builds(store_env, capsys):
    # given
    made = run_cli(capsys, "keys", "create", "--name", "partner", "--kind", "frontend")

    async def admit() -> Admitted | str:
        async with build_services(load_settings(environ=store_env)) as built:
            return await built.gatekeeper.admit(made["key"])

    # when
    admitted = asyncio.run(admit())
    # then
    assert isinstance(admitted, Admitted) and admitted.key.name == "partner"
    assert [k["name"] for k in run_cli(capsys, "keys", "list")] == ["partner"]


def test_documents_pushed_by_the_documents_command_are_the_trusted_list_the_root_reads(store_env, capsys,
                                                                                         tmp_path):
    # given
    sha256 = hashlib.sha256(CHANNELS.encode()).hexdigest()
    (tmp_path / "documents.json").write_text(json.dumps({sha256: CHANNELS}))
    pushed = run_cli(capsys, "documents", "push", str(tmp_path / "documents.json"), "--list", "partner")

    async def trusted() -> tuple[frozenset[str], str | None]:
        async with build_services(load_settings(environ=store_env)) as built:
            return await built.documents.trusted("partner"), await built.documents.find(sha256)

    # when
    hashes, document = asyncio.run(trusted())
    # then
    assert pushed == {"list": "partner", "pushed": 1, "size": 1}
    assert hashes == {sha256} and document == CHANNELS


async def test_the_root_closes_every_client_it_opened(store_env):
    # given
    async with build_services(load_settings(environ=store_env)) as built:
        assert "mongodb" in built.checks and len(built.checks) == 5
        await built.checks["mongodb"]()
        clients = built.wired.clients
        assert not any(c.is_closed for c in clients)
    # then
    assert all(c.is_closed for c in clients)
    with pytest.raises(Exception, match="after close"):
        await built.mongo.admin.command("ping")


async def test_without_a_mongodb_url_the_root_serves_the_embedded_file_for_its_duration(tmp_path):
    # given
    settings = load_settings(environ={"CGW_CONFIG": os.devnull, "CGW_MONGO__URL": "",
                                      "CGW_MONGO__EMBEDDED_PATH": str(tmp_path / "store.sqlite")})
    # when: a key made in one run of the root is read in the next
    async with build_services(settings) as built:
        _, full = await api_keys.issue(built.keys, api_keys.KeySpec("kept", KeyKind.FRONTEND), "test")
    async with build_services(settings) as built:
        admitted = await built.gatekeeper.admit(full)
    # then
    assert (tmp_path / "store.sqlite").exists()
    assert isinstance(admitted, Admitted) and admitted.key.name == "kept"


def test_the_benchmarks_unguarded_gateway_is_built_with_options_not_patches(simulators, mongo_url, gateway,
                                                                            monkeypatch):
    # given the baseline's app, built in this process beside the shared (guarded) gateway
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.delitem(sys.modules, "unguarded_gateway", raising=False)
    from unguarded_gateway import unguarded_app

    settings = load_settings(environ=gateway_environ(simulators, mongo_url))
    server = ServerThread(unguarded_app(settings), lifespan="on").start()
    try:
        # when both are asked without an API key
        open_answer = httpx.post(f"{server.url}/graphql", json={"query": CHANNELS}, timeout=30)
        guarded_answer = httpx.post(f"{gateway}/graphql", json={"query": CHANNELS}, timeout=30)
    finally:
        server.stop()
    # then the baseline answers, and the gateway still refuses
    assert open_answer.status_code == 200 and len(open_answer.json()["data"]["channels"]) == 5
    assert guarded_answer.status_code == 401
    assert guarded_answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
