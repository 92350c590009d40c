"""GET /metrics: every count the issue lists, who may read them, and gunicorn's workers added up."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from notification.work import apply_next_due, send_next_mail
from ops import views
from ops.models import Heartbeat
from providers.models import WebhookEvent
from providers.webhooks import deliver, register_endpoint
from tests.factories import make_application, make_line
from tests.processes import BASE_DIR, wait_for
from tests.providers.receiver import start_receiver

LOOKUPS = "/api/v1/lookups"


@pytest.fixture(autouse=True)
def fresh_state():
    cache.clear()
    views._allowed_networks.cache_clear()
    yield
    cache.clear()
    views._allowed_networks.cache_clear()


def count(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def look_up(client, key, addresses):
    return client.post(
        LOOKUPS,
        json.dumps({"addresses": addresses}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_it_serves_loopback(client, db):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies


def test_it_serves_loopback_on_a_dual_stack_socket(db):
    assert Client(REMOTE_ADDR="::ffff:127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200


def test_it_is_a_404_for_anyone_else(db):
    assert Client(REMOTE_ADDR="192.0.2.10").get("/metrics").status_code == 404


@override_settings(WSO_METRICS_ALLOWED=["192.0.2.0/28", "2001:db8:9::/48"])
def test_it_serves_the_allowed_networks(db):
    assert Client(REMOTE_ADDR="192.0.2.10").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="2001:db8:9::5").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.20").get("/metrics").status_code == 404


@override_settings(
    WSO_TRUSTED_PROXIES=["127.0.0.1/32"], WSO_CLIENT_ADDRESS_HEADER="X-Forwarded-For"
)
def test_it_is_a_404_for_a_client_behind_our_own_proxy(db):
    forwarded = Client(headers={"X-Forwarded-For": "203.0.113.5"})
    assert forwarded.get("/metrics").status_code == 404


def test_it_counts_requests_by_view_and_status_with_their_latency(client, db):
    before = count("wso_http_requests_total", view="portal:login", status="200")
    seen = count("wso_http_request_duration_seconds_count", view="portal:login")
    client.get("/login/")
    client.get("/no-such-page/")
    assert count("wso_http_requests_total", view="portal:login", status="200") == before + 1
    assert count("wso_http_request_duration_seconds_count", view="portal:login") == seen + 1
    assert count("wso_http_requests_total", view="unmatched", status="404") >= 1


def test_it_counts_look_ups_by_outcome_and_the_disclosures(client, key, line):
    notified = count("wso_lookups_total", outcome="notified")
    not_notified = count("wso_lookups_total", outcome="not_notified")
    errors = count("wso_lookups_total", outcome="error")
    disclosures = count("wso_disclosures_total")
    assert look_up(client, key, ["2001:db8:8000:100::1", "2001:db8:8000:100::2"]).status_code == 200
    assert look_up(client, key, ["2001:db8:ffff::1"]).status_code == 200
    assert look_up(client, "wso_wrong", ["2001:db8:ffff::1"]).status_code == 401
    assert count("wso_lookups_total", outcome="notified") == notified + 1
    assert count("wso_lookups_total", outcome="not_notified") == not_notified + 1
    assert count("wso_lookups_total", outcome="error") == errors + 1
    assert count("wso_disclosures_total") == disclosures + 2


@override_settings(WSO_API_RATE_LIMIT=1)
def test_it_counts_rate_limit_refusals_per_provider(client, key, line):
    before = count("wso_rate_limited_total", provider="W0099")
    answers = [look_up(client, key, ["2001:db8:ffff::1"]).status_code for _ in range(3)]
    assert 429 in answers
    assert count("wso_rate_limited_total", provider="W0099") == before + answers.count(429)


def test_it_counts_login_failures_and_locks(client, alice):
    failures = count("wso_login_failures_total", kind="line", outcome="wrong")
    locks = count("wso_login_locks_total", kind="line")
    for _ in range(5):
        client.post("/login/", {"flets_number": alice.flets_number, "access_key": "ZZZZ9999"})
    assert count("wso_login_failures_total", kind="line", outcome="wrong") == failures + 4
    assert count("wso_login_locks_total", kind="line") == locks + 1


def test_it_counts_admin_login_failures(client, operator):
    before = count("wso_login_failures_total", kind="operator", outcome="wrong")
    client.post("/admin/login/", {"username": "operator", "password": "wrong"})
    assert count("wso_login_failures_total", kind="operator", outcome="wrong") == before + 1


def test_it_counts_applications_applied_and_failed_and_the_mails(db, provider):
    completed = count("wso_applications_total", state="completed")
    failed = count("wso_applications_total", state="failed")
    sent = count("wso_completion_mails_total", result="sent")
    make_application(make_line(), [provider])
    make_application(make_line(status="suspended"), [provider])
    while apply_next_due():
        pass
    while send_next_mail():
        pass
    assert count("wso_applications_total", state="completed") == completed + 1
    assert count("wso_applications_total", state="failed") == failed + 1
    assert count("wso_completion_mails_total", result="sent") == sent + 1


def test_it_counts_webhook_deliveries_by_result(db, provider, line):
    receiver = start_receiver()
    try:
        register_endpoint(provider, receiver.url)
        delivered = count("wso_webhook_deliveries_total", result="delivered")
        retry = count("wso_webhook_deliveries_total", result="retry")
        now = timezone.now()
        event = WebhookEvent.objects.create(
            provider=provider,
            line=line,
            type=WebhookEvent.Type.TEST,
            webhook_id="msg_1",
            data={},
            created_at=now,
            next_attempt_at=now,
            attempts=1,
        )
        from tests.providers.receiver import Answer

        receiver.answer(Answer(status=500), Answer(status=204))
        deliver(event)
        event.refresh_from_db()
        deliver(event)
    finally:
        receiver.close()
    assert count("wso_webhook_deliveries_total", result="retry") == retry + 1
    assert count("wso_webhook_deliveries_total", result="delivered") == delivered + 1


def test_it_reads_the_backlogs_and_heartbeats_at_scrape_time(client, provider, line):
    now = timezone.now()
    make_application(line, [provider], due_in=-600)
    WebhookEvent.objects.create(
        provider=provider,
        line=line,
        type=WebhookEvent.Type.ENABLED,
        webhook_id="msg_2",
        data={},
        created_at=now - timedelta(hours=2),
        next_attempt_at=now + timedelta(hours=1),
    )
    Heartbeat.objects.create(worker="a:1", loop="run_due_work", beat_at=now - timedelta(seconds=30))
    Heartbeat.objects.create(worker="b:2", loop="run_due_work", beat_at=now)
    samples = scrape(client)
    assert samples[("wso_database_up", ())] == 1
    assert samples[("wso_applications_due", ())] == 1
    assert 600 <= samples[("wso_applications_oldest_due_age_seconds", ())] < 660
    assert samples[("wso_webhook_events_pending", ())] == 1
    assert 7200 <= samples[("wso_webhook_oldest_pending_age_seconds", ())] < 7260
    beat = samples[("wso_worker_heartbeat_timestamp_seconds", (("loop", "run_due_work"),))]
    assert beat == pytest.approx(now.timestamp(), abs=1)


def test_every_name_is_in_the_operations_guide(client, db):
    guide = (BASE_DIR / "docs" / "operations.md").read_text()
    names = {
        family.name
        for family in text_string_to_metric_families(client.get("/metrics").content.decode())
    }
    ours = {name for name in names if name.startswith("wso_")}
    assert len(ours) >= 16
    assert [name for name in sorted(ours) if f"`{name}" not in guide] == []


# gunicorn as production runs it ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except urllib.error.URLError:  # not listening yet
        return 0, b""


def test_two_gunicorn_workers_add_up(tmp_path):
    port, metrics_dir = _free_port(), tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's: cleaned at start
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wso_portal.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    server = subprocess.Popen(
        [
            Path(sys.executable).parent / "gunicorn",
            "wso_portal.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(access_log),
        ],
        cwd=BASE_DIR,
        env=env,
    )
    try:
        wait_for(lambda: server.poll() is not None or _get(port, "/healthz")[0] == 200, timeout=60)
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # Until both workers have answered some: each counts in its own file.
            while len(list(metrics_dir.glob("counter_*.db"))) < 2 or sent < 40:
                sent += sum(
                    1
                    for status, _ in pool.map(lambda _: _get(port, "/api/v1/nope"), range(8))
                    if status == 404
                )
                assert sent < 2000
        status, body = _get(port, "/metrics")
        assert status == 200
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }
        pids = {path.stem.split("_")[1] for path in metrics_dir.glob("counter_*.db")}
        assert len(pids) == 2 and "1" not in pids
        assert (
            samples[
                (
                    "wso_http_requests_total",
                    (("status", "404"), ("view", "providers.api.not_found")),
                )
            ]
            == sent
        )
        time.sleep(1)  # gunicorn writes the access log line after the answer
        logged = access_log.read_text()
        assert "/api/v1/nope" in logged
        assert "/healthz" not in logged and "/metrics" not in logged
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.postgres
def test_the_worker_serves_its_own_counts(transactional_db, provider):
    from django.db import connection

    from tests.processes import start_worker

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker is a process of its own")
    port = _free_port()
    worker = start_worker("--poll", "0.2", WSO_WORKER_METRICS_PORT=str(port))
    try:
        make_application(make_line(), [provider])

        def completed() -> float:
            status, body = _get(port, "/")
            for family in text_string_to_metric_families(body.decode() if status else ""):
                for sample in family.samples:
                    if sample.name == "wso_applications_total" and sample.labels == {
                        "state": "completed"
                    }:
                        return sample.value
            return 0

        wait_for(lambda: completed() == 1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
