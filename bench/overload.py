"""Benchmark: one process flooded. `product(sku:)` with prices and stock (three backend calls) at 8, 64
and 256 connections, on two gateways over the same simulators in one run: admission control off
(limits no flood reaches, as before it existed) and on (the default settings). Every request uses
the one key, as the visitors of a web shop share its frontend key.

Reports answered requests/s (200s only), wrk's p50 and p99 over every response (a refusal is
one too: it is what the client waited for), and the share refused (503 busy, 429 key limit).

    .venv/bin/python bench/overload.py [--duration 10] [--size 1000] [--levels 8,64,256] [--smoke]
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from harness import DRAIN_SECONDS, load_parser, parse_for_wrk, post_script, start_gateway, start_simulators

from gateway.processes import Supervisor

QUERY = """{ product(sku: "CG-000001") { sku title
  priceRange { minVariantPrice { amount currencyCode } } totalInventory } }"""
OFF = {"CGW_SERVER__MAX_IN_FLIGHT": "100000", "CGW_SERVER__MAX_IN_FLIGHT_PER_KEY": "100000"}
# counts the answers by status; wrk runs one thread, whose counters done() reads
COUNT_STATUSES = """
statuses = {}
response = function(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
setup = function(thread) table.insert(threads, thread) end
threads = {}
done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, n in pairs(counted) do io.write(string.format("status %d %d\\n", status, n)) end
  end
end
"""


def flood(url: str, lua: str, duration: int, connections: int) -> dict[str, float]:
    script = Path(tempfile.mkdtemp()) / "flood.lua"
    script.write_text(lua + COUNT_STATUSES)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    statuses = {int(s): int(n) for s, n in re.findall(r"status (\d+) (\d+)", out)}
    total = sum(statuses.values()) or 1
    seconds = duration

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    other = total - sum(statuses.get(s, 0) for s in (200, 503, 429))
    if other or not statuses.get(200):
        raise SystemExit(f"{url}: unexpected answers under load: {statuses}\n{out}")
    return {"ok_rps": statuses[200] / seconds, "p50": pct("50"), "p99": pct("99"),
            "busy": statuses.get(503, 0) / total, "key": statuses.get(429, 0) / total}


def main() -> None:
    parser = load_parser(__doc__)
    parser.add_argument("--levels", default="8,64,256", help="connections of each run, comma-separated")
    args = parse_for_wrk(parser)
    levels = [int(n) for n in args.levels.split(",")]
    if args.smoke:
        levels = [1]
    sup = Supervisor()
    rows = []
    try:
        sims = start_simulators(args.size, sup)
        gateways = {"off": start_gateway(sims, sup, name="unadmitted", settings=OFF),
                    "on": start_gateway(sims, sup, name="admitted")}
        body = json.dumps({"query": QUERY})
        for connections in levels:
            for mode, gateway in gateways.items():
                lua = post_script(body, gateway.key)
                if not args.smoke:
                    time.sleep(DRAIN_SECONDS)
                    flood(f"{gateway.base}/graphql", lua, 2, min(connections, 8))  # warm-up
                rows.append((connections, mode, flood(f"{gateway.base}/graphql", lua, args.duration, connections)))
    finally:
        sup.stop_all()
    print(f"\nOverload benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, product(sku:) with prices and stock, {args.size:,}-product "
          f"catalog, {args.duration} s per run, one key\n")
    print("| load | answered req/s (200) | p50 ms | p99 ms | refused 503 | refused 429 |")
    print("|---|---:|---:|---:|---:|---:|")
    for connections, mode, r in rows:
        print(f"| {connections} connection{'s' if connections != 1 else ''}, admission {mode} | {r['ok_rps']:.0f} | "
              f"{r['p50']:.0f} | {r['p99']:.0f} | {r['busy']:.0%} | {r['key']:.0%} |")


if __name__ == "__main__":
    main()
