"""Real servers on loopback for tests: uvicorn in a background thread, on a free port."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from gateway.processes import free_port


class ServerThread:
    """Serves an ASGI app until `stop()`; `url` is its base URL once started."""

    def __init__(self, app: Any, lifespan: str = "auto", **options: Any) -> None:
        """`options`: more of uvicorn.Config's settings."""
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                                lifespan=lifespan, log_config=None, **options)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def start(self, timeout: float = 30.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class LoopThread:
    """An event loop of its own, for servers that are not ASGI apps (the embedded store)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run[T](self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout=30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Simulator:
    """A running simulator with helpers for its `/__stats` and `/__faults` endpoints."""

    def __init__(self, name: str, server: ServerThread) -> None:
        self.name = name
        self.server = server
        self.url = server.url
        # one client, kept open: a new httpx client costs ~10-50 ms (its TLS context), and every test
        # that uses the simulators heals them after it
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def stats(self) -> dict[str, int]:
        """HTTP requests per route, and RPC calls (`rpc model.method`) where the dialect has them."""
        stats = self.http.get("/__stats").json()
        return {**stats["requests"], **stats["calls"]}

    def spans(self) -> list[tuple[str, float, float]]:
        """The latest requests as (method and path, arrived, answered), in monotonic seconds of this
        process (every simulator of a test runs in it, so spans of different simulators compare)."""
        return [tuple(span) for span in self.http.get("/__stats").json()["spans"]]

    def reset_stats(self) -> None:
        self.http.delete("/__stats").raise_for_status()

    def faults(self, **settings: Any) -> None:
        self.http.post("/__faults", json=settings).raise_for_status()

    def heal(self) -> None:
        self.faults(latency_ms=0, error_rate=0, down=False, malformed=False, fail_next=0, fail_path="", retry_after="")


class ServeProcess:
    """`commerce-gateway serve [options]` as a child process with `env`; `url` once it answers /healthz."""

    def __init__(self, env: dict[str, str], *options: str, timeout: float = 60.0) -> None:
        for attempt in range(3):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.child = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve",
                                           "--port", str(self.port), *options],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            output = self._wait_until_healthy(timeout)
            if output is None:
                return
            # another process may take the free port between our pick and the child's bind: pick again
            if "cannot listen on" not in output or attempt == 2:
                raise RuntimeError(f"serve exited early:\n{output}")

    def _wait_until_healthy(self, timeout: float) -> str | None:
        """None once healthy; the child's output if it exited first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return None
            except httpx.HTTPError:
                time.sleep(0.2)
            if self.child.poll() is not None:
                output = self.child.stdout.read()
                self.child.stdout.close()
                return output
        self.stop()
        raise RuntimeError("serve did not answer /healthz in time")

    def stop(self) -> None:
        if self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(10)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        self.child.stdout.close()


def children(pid: int) -> list[int]:
    """The pids of a process's children."""
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # an exited child of a dead parent is reaped by init; until then it is a zombie
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
