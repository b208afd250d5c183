"""The benchmarks still work: every script of bench/ runs once, briefly (`--smoke`: a 50-product
catalog, each scenario once for 1 s over one connection), in its own process as `make bench` runs it, and prints its
figures. Not a timing (a 1-second run on a shared machine says nothing about speed): a script that
stops, such as the listing's when the unguarded baseline no longer answers like the gateway, or a
table that lost a scenario, fails here instead of rotting until the next `make bench`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"

# per script: the table rows that must show a requests/s figure (or, for ratios, a percentage)
SCENARIOS = {
    "listing.py": [
        "plain Starlette JSON (ceiling)",
        "gateway, backends at 0 ms",
        "same, without keys, cost and limits",
        "throughput with ÷ without keys, cost and limits (median of 1 pairs)",
        "gateway CPU per request with ÷ without (median of 1 pairs)",
        "gateway, backends at 20 ms",
        "encoding the body, gateway (orjson) ÷ json.dumps, in-process",
        "listing, catalog 50",
        "listing, catalog 200",  # the larger catalog: 200 products in a smoke run
        'text search "trail", catalog 50',
        'text search "trail", catalog 200',
    ],
    "carts.py": [
        "cartLinesAdd through the gateway",
        "cart read through the gateway",
        "bare find_one_and_update, same store",
    ],
    "recommendations.py": [
        "product(sku:) { sku title } (baseline)",
        "product { recommendations(first: 10) }",
        "me { recommendations(first: 10) }",
        "folding orders in, first load (the whole history)",
    ],
    "http_caching.py": ["GET, full answer", "GET, If-None-Match → 304"],
    "answer_cache.py": [
        "plain Starlette JSON (ceiling)",
        "gateway, listing from the answer cache",
    ],
    "delta_sync.py": [
        "catalogChanges, nothing changed",
        "product(sku:), one ERP call",
        "products(first: 50) with prices",
    ],
    "workers.py": ["--workers 1", "--workers 2", "2 ÷ 1"],
    "metrics_overhead.py": ["in memory (one process)", "in files (--workers N)"],
    "overload.py": ["1 connection, admission off", "1 connection, admission on"],
    "subscriptions.py": ["ERP write → delivery, subscriptions", "ERP write → seen, polling every 100 ms"],
}


def run_smoke(script: str) -> str:
    completed = subprocess.run([sys.executable, str(BENCH / script), "--smoke"], cwd=BENCH.parent,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"{script} failed:\n{completed.stdout}\n{completed.stderr[-4000:]}"
    return completed.stdout


def table(output: str) -> dict[str, list[str]]:
    """The rows of the Markdown table in `output`: first cell → the other cells."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize("script", SCENARIOS)
def test_a_load_benchmark_runs_every_scenario_and_prints_its_figures(script):
    # given wrk, the load generator (make test installs it)
    if shutil.which("wrk") is None:
        pytest.fail("the benchmarks need wrk: sudo apt-get install wrk (make test installs it when run as root)")
    # when the script runs in smoke mode
    output = run_smoke(script)
    # then it finished (the listing only after its baseline answered the same as the gateway, every
    # scenario only with answered requests), and printed every scenario's figure
    rows = table(output)
    for scenario in SCENARIOS[script]:
        assert scenario in rows, f"{script} printed no row for {scenario!r}:\n{output}"
        assert re.fullmatch(r"\d+(\.\d+)?%?", rows[scenario][0]), (scenario, rows[scenario])


def test_the_resolver_overhead_benchmark_prints_both_timings_and_their_ratio():
    # when
    output = run_smoke("resolver_overhead.py")
    # then
    assert "1,201 fields per execution" in output
    timings = dict(re.findall(r"(async|sync)\s+resolvers:\s+([\d.]+) ms", output))
    assert set(timings) == {"async", "sync"} and all(float(ms) > 0 for ms in timings.values())
    assert re.search(r"async / sync: \d+\.\d\d", output)


def test_the_read_path_benchmark_compares_compiled_plans_with_graphql_core():
    # when it runs in smoke mode (it stops if the two gateways answer differently)
    output = run_smoke("read_path.py")
    # then both documents have their ratios, and the slow-backend listing its latency on both paths
    rows = table(output)
    for document in ("50-product listing", "product(sku:)"):
        assert re.fullmatch(r"\d+\.\d\d×", rows[f"{document}: requests/s, compiled ÷ graphql-core"][0])
        assert re.fullmatch(r"\d+%", rows[f"{document}: gateway CPU per request, compiled ÷ graphql-core"][0])
    for path in ("compiled", "graphql-core"):
        assert re.fullmatch(r"p50 [\d.]+ ms", rows[f"listing, backends at 20 ms, one at a time, {path}"][0])


def test_the_reminder_benchmark_prints_changes_per_second_and_the_end_to_end_delay():
    # when it runs in smoke mode (it stops when no e-mail reaches its sink)
    output = run_smoke("reminders.py")
    # then both saved-item counts have their rate, and the delay from the ERP write to the e-mail is given
    rows = table(output)
    assert {"100", "2,000"} <= set(rows), output
    assert all(re.fullmatch(r"[\d,]+", rows[saved][3]) for saved in ("100", "2,000"))
    assert re.search(r"ERP write to e-mail in the sink .*: median [\d.]+ s", output)


def test_the_watching_benchmark_prints_each_read():
    rows = table(run_smoke("watching.py"))
    for read in ("one SKU, first page of 100", "50 SKUs, to the end in pages of 500",
                 "a best-seller, to the end in pages of 500"):
        assert re.fullmatch(r"[\d.]+ / [\d.]+", rows[read][1]), (read, rows.get(read))


def test_the_marketplace_sync_benchmark_prints_the_push_lag_and_its_baseline():
    # when it runs in smoke mode (it stops when an offer does not reach the ERP's figure)
    rows = table(run_smoke("marketplace_sync.py"))
    # then the lag and the bare round trip have their percentiles
    for name in ("bare bulk_update_price_quantity round trip",
                 "ERP stock write to the eBay offer (poll 0.5 s, settle 1 s, push every 0.25 s)"):
        assert re.fullmatch(r"[\d,]+ ms", rows[name][0]) and re.fullmatch(r"[\d,]+ ms", rows[name][1]), rows


def test_the_webhook_benchmark_prints_each_scenarios_deliveries_per_second():
    # when it runs in smoke mode (it stops when a delivery fails)
    rows = table(run_smoke("webhooks.py"))
    # then every scenario, for one endpoint and for several, has its rate
    for endpoints in ("1", "3"):
        for scenario in ("bare signed POSTs, no outbox (baseline)", "outbox: claim, POST, settle",
                         "worker passes: events → figures → outbox → POST"):
            name = f"{scenario}, {endpoints} endpoint(s)"
            assert re.fullmatch(r"[\d,]+", rows[name][1]), (name, rows.get(name))
