"""Prometheus metrics: `GET /metrics` in the text exposition format.

Two kinds of figures. Request counts and latencies are measured in each web process by a small
ASGI middleware (labels: method, route template, status), so no customer phone or id ever
becomes a label; with `hilo serve --workers N` the processes share them through
prometheus_client's multiprocess directory (`PROMETHEUS_MULTIPROC_DIR`, set by the CLI). The
state of the deployment (job queue, workers, escalations, overdue next actions, WhatsApp
delivery) is read from the database at scrape time (`memory.stats`), so every process, and any
number of `hilo worker` machines, report one truth.
"""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from memory.stats import OperationalStats, operational_stats
from server.deps import get_services
from server.services import Services

router = APIRouter(tags=["probes"])
# Streams (server-sent events) last as long as a dashboard is open: not request latencies.
UNTIMED = {"/events", "/metrics"}

REQUESTS = Histogram(
    "hilo_http_request_duration_seconds",
    "HTTP requests by method, route template and status, and how long they took.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class RequestMetrics:
    """ASGI middleware timing each HTTP request until its response is complete."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def timed_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            if route not in UNTIMED:
                REQUESTS.labels(scope["method"], route, str(status)).observe(
                    time.perf_counter() - started
                )


class _Snapshot:
    """A collector that yields gauges computed before the scrape (the reads are async)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def state_gauges(stats: OperationalStats) -> list[GaugeMetricFamily]:
    jobs = GaugeMetricFamily(
        "hilo_jobs",
        "Jobs in the queue by task and status (successful jobs are deleted).",
        labels=["task", "status"],
    )
    for (task, status), count in sorted(stats.jobs.items()):
        jobs.add_metric([task, status], count)
    escalations = GaugeMetricFamily(
        "hilo_escalations", "Escalations not yet resolved, by status.", labels=["status"]
    )
    for status in ("open", "assigned"):
        escalations.add_metric([status], stats.escalations.get(status, 0))
    outbound = GaugeMetricFamily(
        "hilo_whatsapp_outbound_24h",
        "Outbound WhatsApp messages of the last 24 hours by delivery status.",
        labels=["status"],
    )
    for status, count in sorted(stats.whatsapp_outbound_24h.items()):
        outbound.add_metric([status], count)
    plain = [
        (
            "hilo_job_oldest_wait_seconds",
            "Age of the oldest job ready to run and not yet taken.",
            stats.oldest_job_wait_seconds,
        ),
        (
            "hilo_job_workers",
            "Job workers with a heartbeat in the last 30 seconds.",
            stats.live_workers,
        ),
        (
            "hilo_escalation_oldest_open_seconds",
            "How long the oldest untaken escalation waits.",
            stats.oldest_open_escalation_seconds,
        ),
        (
            "hilo_next_actions_overdue",
            "Open next actions whose due time has passed.",
            stats.overdue_next_actions,
        ),
        ("hilo_customers", "Customers in memory.", stats.customers),
        (
            "hilo_customers_opted_out",
            "Customers who opted out of automated messages.",
            stats.opted_out_customers,
        ),
    ]
    return [jobs, escalations, outbound] + [
        GaugeMetricFamily(name, doc, value=value) for name, doc, value in plain
    ]


@router.get("/metrics", response_class=Response)
async def metrics(services: Services = Depends(get_services)) -> Response:
    """Prometheus text format: request latencies, and the deployment's state from the database."""
    stats = await operational_stats(services.memory)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    state = CollectorRegistry()
    state.register(_Snapshot(state_gauges(stats)))
    return Response(body + generate_latest(state), media_type=CONTENT_TYPE_LATEST)
