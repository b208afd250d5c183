"""Benchmark: what the metrics add to one listing request, in process.

A listing request records: the per-worker request count, its duration and count under its
operation (RequestMetrics around the endpoint), and each backend call it makes (the listing
makes five: three ERP calls, one web-shop call, one app-backend call at most). This times that
work alone, in memory (one process) and in files (multiprocess mode, as `serve --workers N`).

    .venv/bin/python bench/metrics_overhead.py [--requests 20000] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import harness  # noqa: F401  (first: puts the layers on the path)

BACKEND_CALLS = [("odoo", "POST", "/json/2/product.template/search_read"),
                 ("odoo", "POST", "/json/2/product.product/search_read"),
                 ("odoo", "POST", "/json/2/stock.quant/search_read"),
                 ("woocommerce", "GET", "/wp-json/wc/v3/products"),
                 ("medusa", "GET", "/store/products")]


def per_request_microseconds(requests: int, multiprocess_dir: str | None) -> tuple[float, float]:
    """(metrics on, metrics off) µs per request through the middleware, backend calls included."""
    from types import SimpleNamespace

    from gateway.metrics import Metrics, RequestMetrics

    metrics = Metrics(multiprocess_dir=multiprocess_dir)
    context = SimpleNamespace(operation_type="query", operation_name="Listing")

    async def endpoint(scope, receive, send):
        scope["state"]["gateway_context"] = context
        for call in BACKEND_CALLS:
            metrics.record_backend_call(*call, "ok", 0.004)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def bare(scope, receive, send):
        scope["state"]["gateway_context"] = context
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def sink(message):
        pass

    async def run(app) -> float:
        """µs per request, the best of five batches (the machine is shared: the best is the least disturbed)."""
        batches = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(requests // 5):
                await app({"type": "http", "method": "POST", "path": "/graphql", "state": {}, "headers": []},
                          None, sink)
            batches.append((time.perf_counter() - started) / (requests // 5) * 1e6)
        return min(batches)

    async def both() -> tuple[float, float]:
        metered = RequestMetrics(endpoint, metrics)
        await run(metered)  # warm
        return await run(metered), await run(bare)

    return asyncio.run(both())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true", help="only check that the script works (500 requests)")
    parser.add_argument("--mode", choices=["memory", "files"], help=argparse.SUPPRESS)  # the child's run
    args = parser.parse_args()
    if args.smoke:
        args.requests = 500
    if args.mode:
        on, off = per_request_microseconds(args.requests, os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        print(f"{on - off:.1f}")
        return
    rows = []
    for mode in ("memory", "files"):
        env = dict(os.environ)
        with tempfile.TemporaryDirectory() as directory:
            if mode == "files":
                env["PROMETHEUS_MULTIPROC_DIR"] = directory  # before prometheus_client is imported
            out = subprocess.run([sys.executable, __file__, "--mode", mode, "--requests", str(args.requests)],
                                 env=env, capture_output=True, text=True, check=True).stdout
        rows.append((mode, float(out)))
    print("| metrics kept | µs per listing request |")
    print("|---|---:|")
    for mode, micros in rows:
        print(f"| {'in memory (one process)' if mode == 'memory' else 'in files (--workers N)'} | {micros:.1f} |")


if __name__ == "__main__":
    main()
