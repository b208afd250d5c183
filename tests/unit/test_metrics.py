"""The metrics' rules: operation labels bounded against clients that invent names, request timing
by an injected clock, and the answer-cache series the cache will feed."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import Metrics, OperationLabels, RequestMetrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client import generate_latest

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(generate_latest(metrics.exposed).decode())
            for s in family.samples}


def test_operation_names_keep_their_label_up_to_the_limit_then_count_as_other():
    labels = OperationLabels(limit=2)
    # when a third and a fourth name arrive after two
    seen = [labels("query", name) for name in ("Listing", "Cart", "Probe1", "Listing", "Probe2")]
    # then the first two keep theirs, later ones share one label, and a known name stays known
    assert seen == ["Listing", "Cart", "(other)", "Listing", "(other)"]


def test_unnamed_unexecuted_and_overlong_operations_have_fixed_labels():
    labels = OperationLabels(limit=100)
    assert labels("query", None) == "(anonymous query)"
    assert labels("mutation", None) == "(anonymous mutation)"
    assert labels(None, None) == "(none)"  # refused before an operation ran
    assert labels("query", "A" * 65) == "(other)"  # and does not take one of the slots
    assert labels.known == set()


class SteppingClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


async def test_a_request_is_timed_and_counted_under_its_operation_and_status():
    # given a GraphQL endpoint that names its operation in the request state, and a clock that
    # moves 0.2 s between the request's start and its end
    metrics = Metrics()

    async def endpoint(scope, receive, send):
        scope["state"]["gateway_context"] = SimpleNamespace(operation_type="query", operation_name="Listing")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = RequestMetrics(endpoint, metrics, clock=SteppingClock(0.2))
    sent = []

    async def send(message):
        sent.append(message)

    # when
    await app({"type": "http", "method": "POST", "path": "/graphql", "state": {}, "headers": []}, None, send)
    # then the duration falls in the 0.25 s bucket, not the 0.1 s one
    figures = samples(metrics)
    assert figures["gateway_request_duration_seconds_bucket", (("le", "0.1"), ("operation", "Listing"))] == 0
    assert figures["gateway_request_duration_seconds_bucket", (("le", "0.25"), ("operation", "Listing"))] == 1
    assert figures["gateway_request_duration_seconds_sum", (("operation", "Listing"),)] == pytest.approx(0.2)
    assert figures["gateway_requests_total", (("operation", "Listing"), ("status", "200"))] == 1
    assert sent[0]["status"] == 200  # the answer itself passes untouched


def test_the_answer_cache_series_exist_at_zero_and_count_what_the_cache_reports():
    metrics = Metrics()
    before = samples(metrics)
    assert before["gateway_answer_cache_hits_total", ()] == 0
    assert before["gateway_answer_cache_evictions_total", (("reason", "invalidated"),)] == 0
    # when the cache reports
    metrics.answer_cache_hit()
    metrics.answer_cache_hit()
    metrics.answer_cache_miss()
    metrics.answer_cache_eviction("ttl", 3)
    metrics.coalesced_request()
    # then
    after = samples(metrics)
    assert after["gateway_answer_cache_hits_total", ()] == 2
    assert after["gateway_answer_cache_misses_total", ()] == 1
    assert after["gateway_answer_cache_evictions_total", (("reason", "ttl"),)] == 3
    assert after["gateway_coalesced_requests_total", ()] == 1


def test_an_eviction_reason_outside_the_three_is_a_programming_error():
    with pytest.raises(ValueError, match="ttl, size, invalidated"):
        Metrics().answer_cache_eviction("memory")


def test_serve_removes_the_metrics_directories_of_serves_that_are_gone(tmp_path):
    from gateway.workers import metrics_directory

    # given the directory of a serve that was killed hard, and one of a serve still running
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / f"commerce-gateway-metrics-{gone.stdout.strip()}-abc").mkdir()
    (tmp_path / f"commerce-gateway-metrics-{os.getppid()}-def").mkdir()
    # when another serve makes its own
    made = metrics_directory(tmp_path)
    # then the dead one's is gone, the live one's stays, and the new one names this process
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"commerce-gateway-metrics-{os.getppid()}-def", os.path.basename(made)])
    assert os.path.basename(made).startswith(f"commerce-gateway-metrics-{os.getpid()}-")
