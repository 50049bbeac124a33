"""GET /metrics: Prometheus text format (prometheus-client), one view over every worker process.

With several workers (digits/serve/workers.py), PROMETHEUS_MULTIPROC_DIR names a folder the parent made
before this module was imported: each process writes its values to files there and /metrics, in whichever
worker answers it, adds them all up (prometheus-client's multiprocess mode). A dead worker's counts stay
(totals never go down); its live gauges go with mark_process_dead. One process: the default registry.
"""

import os

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import Scope

from digits.model.confidence import DECISIONS
from digits.serve.metrics_dir import MULTIPROC_ENV

# The paths the app answers, as labels: anything else is "other", so a scan of random URLs cannot make
# a new time series per path.
PATHS = frozenset({"/predict", "/collect", "/health", "/model", "/metrics", "/", "/docs", "/openapi.json"})

REQUESTS = Counter("digits_requests", "HTTP requests answered, by path and status", ["path", "status"])
PREDICT_SECONDS = Histogram(
    "digits_predict_seconds",
    "POST /predict, from its first byte in to its last byte out (seconds), every status",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_IMAGES = Histogram(
    "digits_batch_images", "Images per forward pass (micro-batching)", buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64)
)
ANSWERS = Counter("digits_answers", "Answers of POST /predict, by decision: digit, unsure, not_a_digit", ["decision"])
REFUSED = Counter("digits_refused", "Requests refused with a 4xx or 507, by reason", ["reason"])
# Set to 1 by each worker for the model it loaded: a dashboard shows which model answers. A Gauge, as
# multiprocess mode has no Info; 'livemax': one series per md5 while a live worker serves it.
MODEL = Gauge(
    "digits_model_info", "The model served: its file's MD5", ["md5", "architecture"], multiprocess_mode="livemax"
)


def path_label(scope: Scope) -> str:
    path = scope["path"]
    if path in PATHS:
        return path
    return "/page/{name}" if path.startswith("/page/") else "other"


def refused(reason: str) -> None:
    REFUSED.labels(reason).inc()


def answered(decision: str) -> None:
    ANSWERS.labels(decision).inc()


def count_answers_from_zero() -> None:
    """Each decision's series, at 0 until its first answer (in each worker, after the fork): a dashboard's
    share of unsure answers has a denominator from the start."""
    for decision in DECISIONS:
        ANSWERS.labels(decision)


def record(scope: Scope, status: int, seconds: float) -> None:
    """One answered request (digits/serve/logs.py calls this with its log line)."""
    path = path_label(scope)
    REQUESTS.labels(path, str(status)).inc()
    if path == "/predict":
        PREDICT_SECONDS.observe(seconds)


def registry() -> CollectorRegistry:
    if MULTIPROC_ENV not in os.environ:
        return REGISTRY
    merged = CollectorRegistry()  # a new one per scrape, as prometheus-client's multiprocess docs say
    multiprocess.MultiProcessCollector(merged)
    return merged


def install_metrics(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """For the operator (keep it off the public internet): Prometheus text format."""
        return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)
