"""GET /metrics: what the server does, for Prometheus (``prometheus-client``).

Each app has its own registry, so two apps in one process (the tests) never mix
their counts. The series:

- ``assistant_http_requests_total{route, method, status}``: every request, by route
  template (``/v1/documents/{document_id}``, not the path asked for);
- ``assistant_answer_seconds{endpoint}``: from the request to its whole answer (the
  wait for an answer worker included), a histogram;
- ``assistant_answers_total{endpoint, mode, tier}`` and
  ``assistant_abstentions_total{endpoint, mode}``: answers by answer mode and by the
  tier that decided them (:func:`reader_tier`);
- ``assistant_rate_limit_refusals_total{limit}``: 429s, per key or per address
  ('requests') and for wrong keys ('failed_keys');
- ``assistant_index_build_info{build}`` (1 for the build in service) and
  ``assistant_index_ready``;
- ``assistant_database_available`` (with a database URL): 1 while it answers;
- ``process_*``: the process's memory, CPU time and open files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answer.models import Answer

ANSWER_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Seconds: extractive answers take tens of milliseconds, llm mode tens of seconds."""


def reader_tier(answer: Answer) -> str:
    """Which tier decided the answer: 'llm' (a verified generation), 'judge' (the reader
    with the answerability judge's score) or 'reader' (the extractive reader alone)."""
    signals = answer.signals or {}
    if signals.get("generated") == 1.0:
        return "llm"
    return "judge" if "judge" in signals else "reader"


class ApiMetrics:
    """The app's series; ``build`` and ``database_up`` are read at each scrape."""

    def __init__(
        self,
        build: Callable[[], str | None],
        database_up: Callable[[], bool] | None = None,
    ):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "assistant_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.answer_seconds = Histogram(
            "assistant_answer_seconds",
            "Seconds from the request to the whole answer.",
            ["endpoint"],
            buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "assistant_answers",
            "Answers by endpoint, answer mode and the tier that decided them.",
            ["endpoint", "mode", "tier"],
            registry=self.registry,
        )
        self.abstentions = Counter(
            "assistant_abstentions",
            "Answers that said the documents do not answer.",
            ["endpoint", "mode"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "assistant_rate_limit_refusals",
            "Requests refused with 429, by limit.",
            ["limit"],
            registry=self.registry,
        )
        self.registry.register(_StateCollector(build, database_up))
        ProcessCollector(registry=self.registry)

    def answered(self, endpoint: str, answer: Answer, seconds: float) -> None:
        """Count one answer given on ``endpoint`` (e.g. '/v1/ask') after ``seconds``."""
        self.answer_seconds.labels(endpoint).observe(seconds)
        self.answers.labels(endpoint, answer.mode, reader_tier(answer)).inc()
        if answer.abstained:
            self.abstentions.labels(endpoint, answer.mode).inc()

    def refused(self, limit: str) -> None:
        self.refusals.labels(limit).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The text format Prometheus scrapes, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _StateCollector(Collector):
    """Gauges read when scraped: the build in service and whether the database answers."""

    def __init__(self, build: Callable[[], str | None], database_up: Callable[[], bool] | None):
        self.build = build
        self.database_up = database_up

    def collect(self) -> Iterator[Metric]:
        build = self.build()
        info = GaugeMetricFamily(
            "assistant_index_build_info", "The index build in service (value 1).", labels=["build"]
        )
        if build is not None:
            info.add_metric([build], 1)
        yield info
        yield GaugeMetricFamily(
            "assistant_index_ready", "1 when an index build is in service.", float(bool(build))
        )
        if self.database_up is not None:
            yield GaugeMetricFamily(
                "assistant_database_available",
                "1 while the shared database answers, 0 from a failure until it answers again.",
                float(self.database_up()),
            )


class MetricsMiddleware:
    """Counts every HTTP request by the route template it matched (``unmatched`` if none)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            self.metrics.requests.labels(_route(scope), scope["method"], str(status)).inc()


def _route(scope: Scope) -> str:
    """The template of the route that answered (``/v1/documents/{document_id}``), found from
    the route's own template and the path asked for: the route may sit in an included router
    or a mounted app, whose prefix only the path still shows."""
    template = getattr(scope.get("route"), "path_format", None)
    if not isinstance(template, str):
        return "unmatched"
    try:
        rendered = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    path = str(scope.get("path", ""))
    return path[: len(path) - len(rendered)] + template if path.endswith(rendered) else template
