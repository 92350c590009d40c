"""GET /healthz and /readyz: what a load balancer polls."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from ops import health
from ops.models import Heartbeat
from wso_portal.settings.base import redis_cache


@pytest.fixture
def fresh_heartbeat(db):
    return Heartbeat.objects.create(worker="host:1", loop="run_roll_up", beat_at=timezone.now())


def test_it_answers_healthz_without_touching_anything(client):
    response = client.get("/healthz")  # no db fixture: any query would fail the test
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies  # no session, no CSRF cookie
    assert response["Cache-Control"] == "no-store"


def test_it_is_ready_in_one_query(client, fresh_heartbeat, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker_heartbeat": "ok"},
    }
    assert not response.cookies


def test_it_is_not_ready_without_a_worker_heartbeat(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker_heartbeat"] == "none in the last 60 s"


def test_it_is_not_ready_when_the_last_heartbeat_is_over_60_seconds_old(client, fresh_heartbeat):
    fresh_heartbeat.beat_at = timezone.now() - timedelta(seconds=61)
    fresh_heartbeat.save()
    assert client.get("/readyz").status_code == 503


def test_it_is_not_ready_with_an_unapplied_migration(client, fresh_heartbeat):
    on_disk = {**health._on_disk(), ("ops", "9999_later"): []}
    with mock.patch.object(health, "_on_disk", return_value=on_disk):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 unapplied"


def test_it_is_not_ready_when_the_database_does_not_answer(client, fresh_heartbeat):
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "error: OperationalError",
        "migrations": "unknown",
        "worker_heartbeat": "unknown",
    }


def test_it_is_not_ready_when_redis_does_not_answer(client, fresh_heartbeat):
    unreachable = "redis://127.0.0.1:1/0"
    with override_settings(REDIS_URL=unreachable, CACHES={"default": redis_cache(unreachable)}):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error: ")


def test_it_skips_the_login_rate_and_csrf(client, fresh_heartbeat):
    with override_settings(WSO_LOGIN_RATE="1/m"):
        answers = [client.get("/readyz").status_code for _ in range(5)]
    assert answers == [200] * 5


def test_it_only_answers_get_and_head(client, db):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_it_is_served_without_the_https_redirect_or_host_check(client, fresh_heartbeat):
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["wso.example.jp"]):
        assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200
        assert client.get("/login/", HTTP_HOST="wso.example.jp").status_code == 301


def test_every_worker_loop_beats_after_a_round(db):
    call_command("worker", "--once")
    assert set(Heartbeat.objects.values_list("loop", flat=True)) == {
        "run_due_work",
        "run_due_deliveries",
        "run_roll_up",
    }


def test_a_loop_whose_round_fails_does_not_beat(db):
    from notification.management.commands.worker import run_round

    def broken(*, should_stop):
        raise OperationalError("down")

    run_round(broken, mock.Mock(is_set=lambda: False), 0)
    assert not Heartbeat.objects.filter(loop="broken").exists()


def test_operators_see_the_heartbeats_in_the_admin(admin_client, fresh_heartbeat):
    response = admin_client.get("/admin/ops/heartbeat/")
    assert response.status_code == 200
    assert "host:1" in response.content.decode()
    change = admin_client.get(f"/admin/ops/heartbeat/{fresh_heartbeat.pk}/change/")
    assert change.status_code == 200
    assert admin_client.get(f"/admin/ops/heartbeat/{fresh_heartbeat.pk}/delete/").status_code == 403
