"""What the benchmarks share: the stack they run against, wrk, and how figures are taken."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commerce_gateway.gateway.processes import Supervisor, cli_argv, free_port  # noqa: E402

SIMULATORS = ("woocommerce", "medusa", "odoo", "ebay")
DRAIN_SECONDS = 3


def post_script(body: str) -> str:
    """A wrk script POSTing one JSON body."""
    return ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n")


def post_any_script(bodies: list[str]) -> str:
    """A wrk script POSTing one of `bodies` at random, per request."""
    listed = ",\n".join(json.dumps(b) for b in bodies)
    return ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"bodies = {{{listed}}}\n"
            "request = function() return wrk.format(nil, nil, nil, bodies[math.random(#bodies)]) end\n")


def wrk(url: str, lua: str, duration: int, connections: int) -> dict[str, float]:
    script = Path(tempfile.mkdtemp()) / "load.lua"
    script.write_text(lua)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} failed responses under load\n{out}")
    return {"rps": rps, "p50": pct("50"), "p99": pct("99")}


def measure(url: str, lua: str, args: argparse.Namespace) -> dict[str, float]:
    """Latency one request at a time, then throughput under load (`--connections`): in this
    order, so requests still in flight from the load run do not delay the quiet one."""
    time.sleep(DRAIN_SECONDS)  # the previous load run's requests still in flight
    alone = wrk(url, lua, args.duration, 1)
    loaded = wrk(url, lua, args.duration, args.connections)
    return {"rps": loaded["rps"], "p50": alone["p50"], "p99": alone["p99"], "loaded_p50": loaded["p50"],
            "loaded_p99": loaded["p99"]}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_stack(size: int, sup: Supervisor, mongo_url: str = "") -> tuple[str, dict[str, str], int]:
    """Simulators and `commerce-gateway serve` (with its own embedded store unless `mongo_url`)."""
    ports = {name: free_port() for name in SIMULATORS}
    for name, port in ports.items():
        sup.start(name, cli_argv("simulator", name, "--port", str(port), "--size", str(size)))
    for name, port in ports.items():
        sup.wait_until(name, f"http://127.0.0.1:{port}/__stats", timeout=300)
    gateway_port = free_port()
    env = {f"CGW_BACKENDS__{n.upper()}__BASE_URL": f"http://127.0.0.1:{p}" for n, p in ports.items()}
    env |= {"CGW_CONFIG": os.devnull, "CGW_SERVER__LOG_LEVEL": "warning",
            "CGW_MONGO__EMBEDDED_PATH": str(Path(tempfile.mkdtemp()) / "bench.sqlite"), "CGW_MONGO__URL": mongo_url}
    gateway = sup.start("gateway", cli_argv("serve", "--port", str(gateway_port)), env=env)
    base = f"http://127.0.0.1:{gateway_port}"
    sup.wait_until("gateway", f"{base}/healthz")
    sims = {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}
    return base, sims, gateway.pid


