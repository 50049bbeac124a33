"""The benchmark's outside load generator (Apache Bench, benchmarks/outside_load.py), bounded: a few hundred
form uploads on new connections to `digits serve --workers 2`, none failed, each counted once in /metrics."""

from pathlib import Path

import pytest

from benchmarks.outside_load import ab_available, run_ab
from tests.integration.test_serve_workers import metric, scrape
from tests.serve_process import running_server
from tests.serve_support import digit_one_png, small_model

REQUESTS, CONCURRENCY = 300, 16


@pytest.mark.skipif(not ab_available(), reason="ab (Debian's apache2-utils) is not installed; .ci/run installs it")
def test_ab_uploads_on_new_connections_all_succeed(tmp_path: Path) -> None:
    model = small_model(tmp_path / "model.pt")
    with running_server(model, tmp_path / "server.log", ["--workers", "2"]) as server:
        server.wait_for_workers(2)
        result = run_ab(server.url, digit_one_png(), REQUESTS, CONCURRENCY, timeout=120)
        text = scrape(server)
    assert (result.requests, result.failed, result.non_2xx) == (REQUESTS, 0, 0)
    assert result.per_second > 0 and 0 < result.p50_ms <= result.p99_ms
    assert metric(text, "digits_requests_total", 'path="/predict",status="200"') == REQUESTS
