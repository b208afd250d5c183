"""Child processes for `serve` (the embedded store) and `demo` (simulators, store, gateway)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 5.0
SUPERVISOR_ENV = "COMMERCE_GATEWAY_SUPERVISOR_PID"  # for each child, to notice a supervisor that died hard


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound and listening now, so no port picked later (the embedded store's) can take it; OSError if in use."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, port), family=family, backlog=2048)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def process_alive(pid: int) -> bool:
    """Whether a process with this pid runs (as anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cli_argv(*args: str) -> list[str]:
    """This same console command, run by the same interpreter."""
    return [sys.executable, "-m", "gateway.cli", *args]


@dataclass
class Supervisor:
    children: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        # a process group of its own: Ctrl-C in a terminal reaches the supervisor alone, which stops the children
        # in order; otherwise the store died with the gateway, whose last writes then waited for it until killed
        child = subprocess.Popen(argv, env={**os.environ, **(env or {}), SUPERVISOR_ENV: str(os.getpid())},
                                 process_group=0)
        self.children[name] = child
        return child

    def wait_until(self, name: str, probe_url: str, timeout: float = 60.0) -> None:
        """Waits until `probe_url` answers; raises RuntimeError if the child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (code := self.children[name].poll()) is not None:
                raise RuntimeError(f"{name} exited with status {code} while starting")
            try:
                if probe_url.startswith("tcp://"):
                    host, port = probe_url[6:].rsplit(":", 1)
                    if port_in_use(host, int(port)):
                        return
                elif httpx.get(probe_url, timeout=1.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer at {probe_url} within {timeout:g} s")

    def first_exited(self) -> tuple[str, int] | None:
        for name, child in self.children.items():
            if (code := child.poll()) is not None:
                return name, code
        return None

    def stop_all(self) -> None:
        """In reverse start order, each stopped before the next is told to (the gateway before the store and
        backends it still talks to on its way out): SIGTERM, then SIGKILL after the grace period."""
        for name, child in reversed(list(self.children.items())):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", name)
                child.kill()
                child.wait()


def stop_with_supervisor(poll_seconds: float = 0.5, supervisor: int | None = None) -> None:
    """In a Supervisor's child: stop (SIGTERM to itself, then exit) once the supervisor is gone.

    A supervisor killed with SIGKILL cannot stop its children; without this the
    embedded store, simulators and gateway workers would outlive it and keep their ports.
    `supervisor`: its pid, when the child was not started with it in the environment.
    """
    if supervisor is None:
        raw = os.environ.get(SUPERVISOR_ENV, "")
        supervisor = int(raw) if raw.isdigit() else None
    if supervisor is None or supervisor != os.getppid():
        return  # started by hand, or the variable leaked from an outer process

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(poll_seconds)
        log.warning("supervisor %d is gone; stopping", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(STOP_GRACE_SECONDS)
        os._exit(1)  # the graceful stop did not finish in time

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()
