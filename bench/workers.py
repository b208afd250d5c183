"""Benchmark: the 50-product listing (bench/listing.py's) on `serve --workers 1` against
`serve --workers 2`, over the same four simulators, in back-to-back pairs of wrk runs (which one
goes first alternates, so the machine's drift hits both alike). Prints a Markdown table.

    .venv/bin/python bench/workers.py [--duration 5] [--connections 8] [--rounds 3] [--size 1000] [--smoke]
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import date

import httpx
from harness import cpu_seconds, load_parser, parse_for_wrk, post_script, start_gateway, start_simulators, wrk
from listing import QUERY

from gateway.processes import Supervisor


def children(pid: int) -> list[int]:
    """The pids of a process's children (its workers and embedded store)."""
    return [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]


def main() -> None:
    parser = load_parser(__doc__)
    parser.set_defaults(duration=5)
    parser.add_argument("--rounds", type=int, default=3, help="pairs of runs")
    args = parse_for_wrk(parser, rounds=1)
    sup = Supervisor()
    try:
        sims = start_simulators(args.size, sup)
        gateways = {n: start_gateway(sims, sup, name=f"workers-{n}", settings={"CGW_SERVER__WORKERS": str(n)})
                    for n in (1, 2)}
        body = json.dumps({"query": QUERY})
        scripts = {n: post_script(body, g.key) for n, g in gateways.items()}
        for n, gateway in gateways.items():
            answer = httpx.post(f"{gateway.base}/graphql", content=body, timeout=30,
                                headers={"content-type": "application/json", "X-API-Key": gateway.key})
            assert "errors" not in answer.json(), answer.text[:500]
            if not args.smoke:
                wrk(f"{gateway.base}/graphql", scripts[n], 2, args.connections)  # warm-up: every worker's caches
        simulators = [sup.children[name].pid for name in sims]
        rps: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[tuple[float, float]]] = {1: [], 2: []}  # gateway's, simulators' CPU seconds per s
        for round_ in range(args.rounds):
            for n in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                gateway = [gateways[n].pid, *children(gateways[n].pid)]  # serve, its store and its workers
                before = sum(map(cpu_seconds, gateway)), sum(map(cpu_seconds, simulators))
                rps[n].append(wrk(f"{gateways[n].base}/graphql", scripts[n], args.duration, args.connections)["rps"])
                cpu[n].append(((sum(map(cpu_seconds, gateway)) - before[0]) / args.duration,
                               (sum(map(cpu_seconds, simulators)) - before[1]) / args.duration))
    finally:
        sup.stop_all()
    ratios = [two / one for one, two in zip(rps[1], rps[2])]
    print(f"\nWorkers benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, wrk -c{args.connections}, {args.duration} s per run, "
          f"catalog {args.size:,}, {args.rounds} pairs\n")
    print(f"| serve | requests/s ({args.connections} connections), median | runs "
          "| CPU cores busy: gateway / simulators, median | gateway CPU ms per request, median |")
    print("|---|---:|---|---|---:|")
    for n in (1, 2):
        busy = f"{statistics.median(c for c, _ in cpu[n]):.2f} / {statistics.median(s for _, s in cpu[n]):.2f}"
        per_request = statistics.median(c / r * 1000 for (c, _), r in zip(cpu[n], rps[n]))
        print(f"| --workers {n} | {statistics.median(rps[n]):.1f} | {', '.join(f'{r:.1f}' for r in rps[n])} "
              f"| {busy} | {per_request:.1f} |")
    print(f"| 2 ÷ 1 | {statistics.median(ratios):.2f} | pairs {', '.join(f'{r:.2f}' for r in ratios)} | | |")


if __name__ == "__main__":
    main()
