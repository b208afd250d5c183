"""What the benchmarks share: the stack they run against, wrk, and how figures are taken."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the layers are top-level packages there

from gateway.processes import Supervisor, cli_argv, free_port  # noqa: E402

SIMULATORS = ("woocommerce", "medusa", "odoo", "ebay")
DRAIN_SECONDS = 3
SMOKE_SIZE = 50


def load_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every wrk benchmark takes; add its own, then call `parse_for_wrk`."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections of the throughput runs")
    parser.add_argument("--size", type=int, default=1_000, help="products in the simulators' catalog")
    parser.add_argument("--smoke", action="store_true",
                        help=f"only check that the script works, as make test does: a {SMOKE_SIZE}-product "
                             "catalog, every scenario once for 1 s over one connection, no warm-up; the "
                             "figures mean nothing")
    return parser


def parse_for_wrk(parser: argparse.ArgumentParser, **smoke: Any) -> argparse.Namespace:
    """The options; with --smoke, those of a quick check, with `smoke` the script's own (rounds=1)."""
    args = parser.parse_args()
    if args.smoke:
        # one connection: a request queued behind others on a busy machine could take the whole second
        vars(args).update({"duration": 1, "connections": 1, "size": SMOKE_SIZE, **smoke})
        print("Smoke run: every scenario once, briefly, to check that the benchmark works; "
              "the figures mean nothing.")
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    return args


def get_script(key: str, **headers: str) -> str:
    """A wrk script GETting the URL with the API key and `headers`."""
    lines = ['wrk.method = "GET"', f"wrk.headers[\"X-API-Key\"] = {json.dumps(key)}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    return "\n".join(lines) + "\n"


def _headers(key: str | None) -> str:
    lines = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
    return lines + (f'wrk.headers["X-API-Key"] = {json.dumps(key)}\n' if key else "")


def post_script(body: str, key: str | None = None) -> str:
    """A wrk script POSTing one JSON body (with the API key, when given)."""
    return _headers(key) + f"wrk.body = {json.dumps(body)}\n"


def post_any_script(bodies: list[str], key: str | None = None) -> str:
    """A wrk script POSTing one of `bodies` at random, per request."""
    listed = ",\n".join(json.dumps(b) for b in bodies)
    return (_headers(key) + f"bodies = {{{listed}}}\n"
            "request = function() return wrk.format(nil, nil, nil, bodies[math.random(#bodies)]) end\n")


def wrk(url: str, lua: str, duration: int, connections: int) -> dict[str, float]:
    script = Path(tempfile.mkdtemp()) / "load.lua"
    script.write_text(lua)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} failed responses under load\n{out}")
    if not requests:
        raise SystemExit(f"{url}: not one request was answered within {duration} s\n{out}")
    return {"rps": rps, "requests": requests, "p50": pct("50"), "p99": pct("99")}


def measure(url: str, lua: str, args: argparse.Namespace) -> dict[str, float]:
    """Latency one request at a time, then throughput under load (`--connections`): in this
    order, so requests still in flight from the load run do not delay the quiet one. A smoke run
    (--smoke) makes the load run only, and reports it for both."""
    if args.smoke:
        run = wrk(url, lua, args.duration, args.connections)
        return {"rps": run["rps"], "p50": run["p50"], "p99": run["p99"], "loaded_p50": run["p50"],
                "loaded_p99": run["p99"]}
    time.sleep(DRAIN_SECONDS)  # the previous load run's requests still in flight
    alone = wrk(url, lua, args.duration, 1)
    loaded = wrk(url, lua, args.duration, args.connections)
    return {"rps": loaded["rps"], "p50": alone["p50"], "p99": alone["p99"], "loaded_p50": loaded["p50"],
            "loaded_p99": loaded["p99"]}


def percentile(values: list[float], share: float) -> float:
    """The value at `share` (0..1) of the sorted values: the nearest rank, as the tables print them."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class Gateway:
    base: str
    pid: int
    key: str  # a frontend API key with budgets no benchmark reaches


def start_simulators(size: int, sup: Supervisor) -> dict[str, str]:
    ports = {name: free_port() for name in SIMULATORS}
    for name, port in ports.items():
        sup.start(name, cli_argv("simulator", name, "--port", str(port), "--size", str(size)))
    for name, port in ports.items():
        sup.wait_until(name, f"http://127.0.0.1:{port}/__stats", timeout=300)
    return {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}


def start_gateway(sims: dict[str, str], sup: Supervisor, mongo_url: str = "", name: str = "gateway",
                  unguarded: bool = False, settings: dict[str, str] | None = None) -> Gateway:
    """`commerce-gateway serve` over `sims` (with its own embedded store unless `mongo_url`), and a
    key for it. `unguarded`: the baseline without keys, cost and limits (bench/unguarded_gateway.py).
    `settings`: CGW_… variables on top; shared answers are off unless they turn them on (kept or
    coalesced, identical requests would skip the work the benchmarks measure)."""
    port = free_port()
    env = {f"CGW_BACKENDS__{n.upper()}__BASE_URL": url for n, url in sims.items()}
    env |= {"CGW_CONFIG": os.devnull, "CGW_SERVER__LOG_LEVEL": "warning",
            "CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": "0",  # no marketplace sweep competing with the measurement
            "CGW_BACKENDS__ODOO__BRAND_FIELD": "product_brand_id",  # the simulated Odoo's brand add-on
            "CGW_CACHE__ANSWER_CACHE_BYTES": "0",
            "CGW_MONGO__EMBEDDED_PATH": str(Path(tempfile.mkdtemp()) / "bench.sqlite"), "CGW_MONGO__URL": mongo_url}
    env |= settings or {}
    made = subprocess.run(cli_argv("keys", "create", "--name", "bench", "--kind", "frontend", "--json",
                                   "--requests-per-minute", "1000000000", "--cost-per-minute", "1000000000000"),
                          env={**os.environ, **env}, capture_output=True, text=True, check=True)
    argv = ([sys.executable, str(ROOT / "bench" / "unguarded_gateway.py"), "--port", str(port)] if unguarded
            else cli_argv("serve", "--port", str(port)))
    process = sup.start(name, argv, env=env)
    base = f"http://127.0.0.1:{port}"
    sup.wait_until(name, f"{base}/healthz")
    return Gateway(base, process.pid, json.loads(made.stdout)["key"])


def start_stack(size: int, sup: Supervisor, mongo_url: str = "") -> tuple[dict[str, str], Gateway]:
    """Simulators and one gateway over them."""
    sims = start_simulators(size, sup)
    return sims, start_gateway(sims, sup, mongo_url)


def post_twice(gateway: Gateway, sims: dict[str, str], body: str) -> tuple[httpx.Response, httpx.Response,
                                                                         dict[str, int]]:
    """POSTs `body` twice; both answers (the first checked for errors), and the backend calls the
    second made, per simulator."""
    headers = {"content-type": "application/json", "X-API-Key": gateway.key}
    first = httpx.post(f"{gateway.base}/graphql", content=body, headers=headers, timeout=30)
    assert "errors" not in first.json(), first.text[:500]
    for url in sims.values():
        httpx.delete(f"{url}/__stats")
    second = httpx.post(f"{gateway.base}/graphql", content=body, headers=headers, timeout=30)
    return first, second, {n: httpx.get(f"{u}/__stats").json()["total"] for n, u in sims.items()}


def start_plain(sup: Supervisor, body: bytes) -> str:
    """The ceiling: a plain Starlette endpoint answering `body` (bench/plain_json.py); its URL."""
    body_file = Path(tempfile.mkdtemp()) / "body.json"
    body_file.write_bytes(body)
    port = free_port()
    sup.start("plain", [sys.executable, str(ROOT / "bench" / "plain_json.py"), str(port), str(body_file)])
    sup.wait_until("plain", f"tcp://127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}/graphql"
