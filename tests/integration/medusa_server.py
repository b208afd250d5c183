"""A real Medusa v2 for `make integration`: installed once from npm into `.cache/medusa/` (the versions
of integration/medusa/package-lock.json), run on loopback over a PostgreSQL cluster of its own in a
temporary folder, both stopped and the folder removed whatever happens. The logs are left in
var/test-artifacts/ (medusa.log, postgresql.log)."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

from gateway.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "integration" / "medusa"
HOME = ROOT / ".cache" / "medusa"
LOGS = ROOT / "var" / "test-artifacts"
PROJECT_FILES = ("package.json", "package-lock.json")
ADMIN = ("admin@example.com", "integration-secret")
START_TIMEOUT = 300  # seconds for the server to answer /health (10-30 s on 2 busy cores)
NODE = (20, 19)  # the oldest Node.js the pinned Medusa runs on (its package's engines)


def _check_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("make integration needs Node.js (>= 20.19) and npm on the PATH")
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if tuple(int(n) for n in version.lstrip("v").split(".")[:2]) < NODE:
        raise RuntimeError(f"make integration needs Node.js >= 20.19 for Medusa (found {version})")


def install() -> Path:
    """`npm ci` into .cache/medusa/ unless the same package lock was installed there before."""
    _check_node()
    digest = hashlib.sha256(b"".join((PROJECT / f).read_bytes() for f in PROJECT_FILES)).hexdigest()
    marker = HOME / ".installed"
    if not (marker.exists() and marker.read_text() == digest):
        shutil.rmtree(HOME, ignore_errors=True)
        HOME.mkdir(parents=True)
        for name in PROJECT_FILES:
            shutil.copy(PROJECT / name, HOME / name)
        print(f"Installing Medusa into {HOME.relative_to(ROOT)} (npm ci, once)", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HOME, check=True,
                       timeout=1800)
        marker.write_text(digest)
    shutil.copy(PROJECT / "medusa-config.js", HOME / "medusa-config.js")
    return HOME


def postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs: on the PATH, else Debian's newest under /usr/lib/postgresql."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not versions:
        raise RuntimeError("make integration needs PostgreSQL's server programs: apt-get install postgresql")
    return Path(versions[-1]).parent


def _postgres_user() -> str | None:
    """PostgreSQL will not run as root: as root (CI), its programs run as the postgres user Debian's package made."""
    return "postgres" if os.geteuid() == 0 else None


def _run(command: list, folder: Path, timeout: float) -> None:
    """One of PostgreSQL's programs, in `folder`; a failure raises with what it printed."""
    done = subprocess.run([str(part) for part in command], cwd=folder, capture_output=True, text=True,
                          timeout=timeout, user=_postgres_user())
    if done.returncode:
        raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr or done.stdout}")


@contextlib.contextmanager
def postgresql(folder: Path) -> Iterator[str]:
    """A cluster in `folder` on a free loopback port, trusting local connections; yields a database URL."""
    bin_dir, port = postgres_bin(), free_port()
    if user := _postgres_user():
        shutil.chown(folder, user, user)
    data, log = folder / "data", folder / "postgresql.log"
    _run([bin_dir / "initdb", "-D", data, "-U", "medusa", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
         folder, 120)
    try:
        # fsync off (-F): the cluster lives as long as the test run
        _run([bin_dir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "120", "-o",
              f"-h 127.0.0.1 -p {port} -k {folder} -F", "start"], folder, 180)
        _run([bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "medusa", "medusa"], folder, 60)
        yield f"postgres://medusa@127.0.0.1:{port}/medusa"
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            _run([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], folder, 60)
        if log.exists():
            shutil.copy(log, LOGS / "postgresql.log")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _medusa(home: Path, env: dict[str, str], log: IO[str], *args: str) -> subprocess.Popen:
    """A `medusa` command in a session of its own: it and whatever it starts stop together (_stop)."""
    return subprocess.Popen([str(home / "node_modules" / ".bin" / "medusa"), *args], cwd=home, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


@contextlib.contextmanager
def medusa_server(home: Path, database_url: str) -> Iterator[str]:
    """Migrates the database, creates the admin user, serves Medusa on a free loopback port; yields its URL."""
    env = {**os.environ, "DATABASE_URL": database_url, "JWT_SECRET": os.urandom(16).hex(),
           "COOKIE_SECRET": os.urandom(16).hex(), "MEDUSA_DISABLE_TELEMETRY": "true", "NODE_ENV": "production"}
    log_path = LOGS / "medusa.log"
    with open(log_path, "w") as log:
        for command in (["db:migrate"], ["user", "-e", ADMIN[0], "-p", ADMIN[1]]):
            process = _medusa(home, env, log, *command)
            try:
                if process.wait(timeout=600):
                    raise RuntimeError(f"medusa {command[0]} failed; {log_path}:\n{_tail(log_path)}")
            finally:
                _stop(process)
        port = free_port()
        server = _medusa(home, env, log, "start", "-H", "127.0.0.1", "-p", str(port))
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(server, url, log_path)
            yield url
        finally:
            _stop(server)


def _wait_healthy(server: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"medusa start exited with {server.returncode}; {log_path}:\n{_tail(log_path)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        time.sleep(0.5)  # polling a server that is starting, not waiting for time to pass
    raise RuntimeError(f"Medusa did not answer {url}/health within {START_TIMEOUT} s; {log_path}:\n{_tail(log_path)}")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the process group (Medusa shuts down gracefully), SIGKILL if it is still there after 20 s;
    whatever is left of a group whose leader has exited goes too."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@contextlib.contextmanager
def running_medusa() -> Iterator[str]:
    """Medusa installed (once), over a fresh PostgreSQL cluster; yields its base URL; the admin user is ADMIN."""
    home = install()
    LOGS.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="medusa-postgresql-"))
    try:
        with postgresql(folder) as database_url, medusa_server(home, database_url) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)
