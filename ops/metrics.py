"""The portal's Prometheus metrics (prometheus-client; every name is in docs/operations.md).

Counters are counted where the thing happens, in whichever process it happens: the web workers
(requests, look-ups, logins, refusals) and `manage.py worker` (工事, mails, webhooks). Under
gunicorn each worker process writes its own counts to PROMETHEUS_MULTIPROC_DIR
(gunicorn.conf.py), and /metrics adds them up. The backlogs and heartbeats are not counted:
they are read from the database when /metrics is scraped (Backlog), a few indexed queries.
"""

import os
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# A _created sample beside each counter only doubles what is scraped.
disable_created_metrics()

REQUESTS = Counter(
    "wso_http_requests", "HTTP requests answered, by view and status", ["view", "status"]
)
LATENCY = Histogram(
    "wso_http_request_duration_seconds", "Time to answer a request, by view", ["view"]
)
LOOKUPS = Counter(
    "wso_lookups", "Look-up requests: notified (an お客様ID told), not_notified, error", ["outcome"]
)
DISCLOSURES = Counter("wso_disclosures", "Disclosure log rows written (お客様IDs told)")
RATE_LIMITED = Counter("wso_rate_limited", "Look-ups refused with 429, by provider", ["provider"])
WEBHOOKS = Counter(
    "wso_webhook_deliveries", "Webhook attempts: delivered, retry or failed (gave up)", ["result"]
)
APPLICATIONS = Counter(
    "wso_applications", "Applications the 工事 ended: completed or failed", ["state"]
)
MAILS = Counter("wso_completion_mails", "Completion mail attempts: sent or failed", ["result"])
LOGIN_FAILURES = Counter(
    "wso_login_failures",
    "Refused logins by kind (line: portal, operator: admin, provider: console) and outcome",
    ["kind", "outcome"],
)
LOGIN_LOCKS = Counter("wso_login_locks", "Locks set after failed logins, by kind", ["kind"])

LOOKUP_VIEW = "provider_api:lookup"


def count_request(request, response, seconds: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match else "unmatched"
    REQUESTS.labels(view, str(response.status_code)).inc()
    LATENCY.labels(view).observe(seconds)
    if view == LOOKUP_VIEW and response.status_code >= 400:
        LOOKUPS.labels("error").inc()


def count_lookup(answers) -> None:
    told = sum(1 for answer in answers if answer.notified)
    LOOKUPS.labels("notified" if told else "not_notified").inc()
    if told:
        DISCLOSURES.inc(told)


class Backlog(Collector):
    """What waits in the database, read at each scrape."""

    def collect(self):
        from django.db import DatabaseError
        from django.db.models import Count, Max, Min
        from django.utils import timezone

        from notification.models import Application
        from providers.models import WebhookEvent

        from .models import Heartbeat

        now = timezone.now()
        up = GaugeMetricFamily("wso_database_up", "1 when the scrape could read the database")
        try:
            events = WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING).aggregate(
                n=Count("id"), oldest=Min("created_at")
            )
            due = Application.objects.filter(
                state__in=Application.OPEN_STATES, due_at__lte=now
            ).aggregate(n=Count("id"), oldest=Min("due_at"))
            beats = list(Heartbeat.objects.values_list("loop").annotate(at=Max("beat_at")))
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge("wso_webhook_events_pending", "Webhook events not yet delivered", events["n"])
        yield _gauge(
            "wso_webhook_oldest_pending_age_seconds",
            "Age of the oldest undelivered webhook event (0: none)",
            _age(now, events["oldest"]),
        )
        yield _gauge("wso_applications_due", "Applications due and not applied yet", due["n"])
        yield _gauge(
            "wso_applications_oldest_due_age_seconds",
            "How long the oldest due application has waited past its due time (0: none)",
            _age(now, due["oldest"]),
        )
        heartbeat = GaugeMetricFamily(
            "wso_worker_heartbeat_timestamp_seconds",
            "When a worker loop last finished a round (Unix time; latest of all workers)",
            labels=["loop"],
        )
        for loop, at in beats:
            heartbeat.add_metric([loop], at.timestamp())
        yield heartbeat


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now: datetime, oldest: datetime | None) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


_backlog = CollectorRegistry(auto_describe=False)
_backlog.register(Backlog())


def _counts() -> CollectorRegistry:
    """This process's counts, or every gunicorn worker's in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition() -> bytes:
    """The web's /metrics: the counts and the backlog."""
    return generate_latest(_counts()) + generate_latest(_backlog)


def serve_worker_metrics(port: int, address: str) -> None:
    """`manage.py worker`'s own counts (工事, mails, webhooks), on a port of its own: a worker
    may run on a host without a web process. The backlog is the web's /metrics."""
    start_http_server(port, addr=address, registry=_counts())
