"""`serve --workers N`: N gateway processes accepting on the sockets `serve` already holds, under
uvicorn's process supervisor (which restarts a worker that dies and stops them all on SIGINT or
SIGTERM). Each worker has its own in-process caches; MongoDB (the one embedded store, started
by `serve`) is what they share: carts, keys, budgets, documents.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from gateway.logs import configure_logging
from gateway.processes import process_alive, stop_with_supervisor
from gateway.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multiprocess mode reads it at import
METRICS_DIR_PREFIX = "commerce-gateway-metrics-"  # then serve's pid


@dataclass(frozen=True)
class WorkerApp:
    """The app factory each worker calls once it has started (pickled to it with the settings).
    `make_app`: gateway.app.create_app unless `serve` was given another (a module-level function)."""

    settings: Settings
    supervisor_pid: int
    metrics_dir: str | None
    make_app: Callable[..., Starlette] | None = None

    def __call__(self) -> Starlette:
        configure_logging(self.settings.server.log_level)
        stop_with_supervisor(supervisor=self.supervisor_pid)  # `serve` killed hard: the workers go too
        make_app = self.make_app
        if make_app is None:
            from gateway.app import create_app

            make_app = create_app
        return make_app(self.settings, metrics_dir=self.metrics_dir)


def run_workers(settings: Settings, sockets: list[socket.socket],
                make_app: Callable[..., Starlette] | None = None) -> int:
    """Runs `settings.server.workers` workers until a signal stops them; 1 if one could not start."""
    metrics_dir = metrics_directory(Path(tempfile.gettempdir())) if settings.metrics.enabled else None
    if metrics_dir is not None:
        os.environ[MULTIPROC_ENV] = metrics_dir  # inherited by the workers, before they import the client
    try:
        config = uvicorn.Config(WorkerApp(settings, os.getpid(), metrics_dir, make_app), factory=True,
                                workers=settings.server.workers, log_config=None, access_log=False, lifespan="on")
        supervisor = Multiprocess(config, sockets=sockets)
        supervisor.run()
        return 1 if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes) else 0
    finally:
        if metrics_dir is not None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(metrics_dir, ignore_errors=True)


def metrics_directory(parent: Path) -> str:
    """A new directory for the workers' metrics files, named with this process's pid, after
    removing those whose `serve` is gone (killed hard, it could not remove its own)."""
    for stale in parent.glob(f"{METRICS_DIR_PREFIX}*-*"):
        pid = stale.name.removeprefix(METRICS_DIR_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{METRICS_DIR_PREFIX}{os.getpid()}-", dir=parent)
