"""即時通知: the outbox written with the 工事, and delivery to a real HTTP server, verified with
the standardwebhooks library as a provider's receiver would."""

import json
import socket
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from notification.models import Application
from notification.work import apply_now, cancel_application
from providers.checks import lease_outlasts_a_delivery
from providers.models import WebhookEvent
from providers.webhooks import (
    UnsafeURL,
    _tls,
    check_url,
    claim_next,
    deliver,
    deliver_due,
    register_endpoint,
    rotate_secret,
    run_due_deliveries,
)
from tests.factories import (
    make_application,
    make_disclosure,
    make_line,
    make_provider,
    set_notify,
)

from .receiver import Answer, start_receiver

State = WebhookEvent.State
Type = WebhookEvent.Type


@pytest.fixture
def fast_retries(settings):
    settings.WSO_WEBHOOK_RETRY_SCHEDULE = [0, 0]
    settings.WSO_WEBHOOK_TIMEOUT = 0.5
    settings.WSO_WEBHOOK_CONNECT_TIMEOUT = 0.5


def provider_at(url, code=None):
    provider = make_provider(code=code)
    _, secret = register_endpoint(provider, url)
    return provider, secret


def enable(line, provider):
    application = make_application(line, [provider], direction="notify", wants_mail=False)
    apply_now(application.pk, by="operator")
    return application


def verify(received, secret):
    """What a provider's receiver does: the library's own check of the signature."""
    return Webhook(secret).verify(received.body, received.headers)


# The outbox --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_applied_notify_writes_one_enabled_event_per_provider_with_an_endpoint(receiver):
    line = make_line()
    told, _ = provider_at(receiver.url)
    no_endpoint = make_provider()
    application = make_application(line, [told, no_endpoint], direction="notify", wants_mail=False)
    assert not WebhookEvent.objects.exists()  # received, not yet applied
    apply_now(application.pk, by="operator")
    event = WebhookEvent.objects.get()
    item = application.items.get(provider=told)
    assert (event.provider, event.line, event.application_item, event.type) == (
        told,
        line,
        item,
        Type.ENABLED,
    )
    assert event.data == {
        "customer_id": line.customer_id,
        "provider_code": told.code,
        "effective_at": Application.objects.get(pk=application.pk).completed_at.isoformat(),
    }
    assert event.state == State.PENDING and event.webhook_id.startswith("msg_")


@pytest.mark.django_db
def test_a_failed_or_cancelled_work_writes_no_event(receiver):
    provider, _ = provider_at(receiver.url)
    suspended = make_line(status="suspended")
    failed = make_application(suspended, [provider], direction="notify", wants_mail=False)
    apply_now(failed.pk, by="operator")
    assert Application.objects.get(pk=failed.pk).state == Application.State.FAILED
    cancelled = make_application(make_line(), [provider], direction="notify", wants_mail=False)
    cancel_application(cancelled.pk, by="operator")
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_disable_goes_only_to_providers_that_had_the_customer_id(receiver):
    line = make_line()
    by_event, _ = provider_at(receiver.url)
    by_disclosure, _ = provider_at(receiver.url)
    never_told, _ = provider_at(receiver.url)
    enable(line, by_event)
    for provider in (by_disclosure, never_told):
        set_notify(line, provider)
    make_disclosure(line, by_disclosure)
    stop = make_application(
        line, [by_event, by_disclosure, never_told], direction="stop", wants_mail=False
    )
    apply_now(stop.pk, by="operator")
    disabled = WebhookEvent.objects.filter(type=Type.DISABLED)
    assert set(disabled.values_list("provider", flat=True)) == {by_event.pk, by_disclosure.pk}


# Delivery ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_2xx_delivers_an_event_signed_as_standard_webhooks_says(receiver):
    line = make_line()
    provider, secret = provider_at(receiver.url)
    enable(line, provider)
    receiver.answer(Answer(204))
    assert deliver_due() == 1
    event = WebhookEvent.objects.get()
    [received] = receiver.received
    payload = verify(received, secret)
    assert received.path == "/hooks/wso"
    assert received.headers["webhook-id"] == event.webhook_id
    assert payload == {
        "type": "notification.enabled",
        "timestamp": event.created_at.isoformat(),
        "data": event.data,
    }
    assert (event.state, event.attempts, event.claimed_until) == (State.DELIVERED, 1, None)
    [attempt] = event.deliveries.all()
    assert attempt.status_code == 204 and attempt.error == "" and attempt.latency_ms >= 0


@pytest.mark.django_db
def test_a_500_is_retried_with_the_same_webhook_id_and_the_attempts_kept(receiver, fast_retries):
    line = make_line()
    provider, secret = provider_at(receiver.url)
    enable(line, provider)
    receiver.answer(Answer(500), Answer(200))
    assert deliver_due() == 2  # the schedule's first wait is 0 here
    event = WebhookEvent.objects.get()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event.webhook_id
    assert verify(second, secret)["data"] == event.data
    assert (event.state, event.attempts) == (State.DELIVERED, 2)
    assert [(a.status_code, a.error) for a in event.deliveries.all()] == [
        (500, "HTTP 500"),
        (200, ""),
    ]


@pytest.mark.django_db
def test_a_failure_waits_for_the_schedule_and_ends_failed(receiver, settings):
    settings.WSO_WEBHOOK_RETRY_SCHEDULE = [5, 300]
    line = make_line()
    provider, _ = provider_at(receiver.url)
    enable(line, provider)
    receiver.answer(Answer(503), Answer(503), Answer(503))
    before = timezone.now()
    assert deliver_due() == 1
    event = WebhookEvent.objects.get()
    assert event.state == State.PENDING
    assert before + timedelta(seconds=4) <= event.next_attempt_at <= before + timedelta(seconds=7)
    assert claim_next() is None  # not due yet
    later = timezone.now() + timedelta(seconds=10)
    deliver(claim_next(now=later))
    event.refresh_from_db()
    assert event.next_attempt_at >= later + timedelta(seconds=200)
    deliver(claim_next(now=later + timedelta(hours=1)))
    event.refresh_from_db()
    assert (event.state, event.attempts, len(receiver.received)) == (State.FAILED, 3, 3)
    assert claim_next(now=later + timedelta(days=1)) is None


@pytest.mark.django_db
def test_a_timeout_is_a_failed_attempt(receiver, fast_retries):
    line = make_line()
    provider, _ = provider_at(receiver.url)
    enable(line, provider)
    receiver.answer(Answer(200, delay=2))
    event = claim_next()
    attempt = deliver(event)
    assert (attempt.status_code, attempt.error) == (None, "タイムアウトしました。")
    assert attempt.latency_ms < 1500
    event.refresh_from_db()
    assert (event.state, event.attempts, event.last_error) == (
        State.PENDING,
        1,
        "タイムアウトしました。",
    )


@pytest.mark.django_db
def test_a_trickling_receiver_is_cut_off_at_the_timeout(receiver, fast_retries, settings):
    settings.WSO_WEBHOOK_TIMEOUT = 1.0
    provider, _ = provider_at(receiver.url)
    enable(make_line(), provider)
    receiver.answer(Answer(200, trickle=0.1))  # each byte well inside any read timeout
    started = time.monotonic()
    attempt = deliver(claim_next())
    elapsed = time.monotonic() - started
    assert (attempt.status_code, attempt.error) == (None, "タイムアウトしました。")
    assert 1.0 <= elapsed < 1.5
    assert WebhookEvent.objects.get().claimed_until is None


def test_the_lease_must_outlast_a_delivery(settings):
    settings.WSO_WEBHOOK_TIMEOUT, settings.WSO_WEBHOOK_LEASE_SECONDS = 10, 20
    assert lease_outlasts_a_delivery(None) == []
    call_command("check")
    settings.WSO_WEBHOOK_LEASE_SECONDS = 19
    (error,) = lease_outlasts_a_delivery(None)
    assert error.id == "providers.E001"
    with pytest.raises(SystemCheckError, match="WSO_WEBHOOK_LEASE_SECONDS"):
        call_command("check")


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for localhost, and the TLS trust of the portal reset."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    _tls.cache_clear()
    yield str(cert), str(key)
    _tls.cache_clear()


@pytest.mark.django_db
def test_https_is_verified_against_the_urls_host_name(certificate, fast_retries, monkeypatch):
    receiver = start_receiver(tls=certificate)
    try:
        provider, secret = provider_at(receiver.https_url)
        enable(make_line(), provider)
        attempt = deliver(claim_next())
        assert attempt.status_code is None
        assert attempt.error.startswith("接続できませんでした: SSLCertVerificationError")

        monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # now trusted, as a real CA would be
        _tls.cache_clear()
        receiver.answer(Answer(200), Answer(200, trickle=0.1))
        attempt = deliver(claim_next())
        assert (attempt.status_code, attempt.error) == (200, "")
        assert verify(receiver.received[-1], secret)["type"] == "notification.enabled"

        enable(make_line(), provider)
        started = time.monotonic()
        attempt = deliver(claim_next())
        assert (attempt.status_code, attempt.error) == (None, "タイムアウトしました。")
        assert time.monotonic() - started < 1.0
    finally:
        receiver.close()


@pytest.mark.django_db
def test_a_refused_connection_is_a_failed_attempt(fast_retries):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = make_line()
    provider, _ = provider_at(f"http://127.0.0.1:{port}/hooks")
    enable(line, provider)
    attempt = deliver(claim_next())
    assert attempt.status_code is None
    assert attempt.error.startswith("接続できませんでした: ")


@pytest.mark.django_db
def test_a_redirect_is_not_followed(receiver, fast_retries):
    elsewhere = start_receiver()
    try:
        line = make_line()
        provider, _ = provider_at(receiver.url)
        enable(line, provider)
        receiver.answer(Answer(307, location=elsewhere.url))
        attempt = deliver(claim_next())
        assert (attempt.status_code, attempt.error) == (307, "HTTP 307")
        assert elsewhere.received == []
        assert WebhookEvent.objects.get().state == State.PENDING
    finally:
        elsewhere.close()


@pytest.mark.django_db
def test_events_of_one_provider_and_line_arrive_in_order(receiver, fast_retries):
    line = make_line()
    provider, secret = provider_at(receiver.url)
    enable(line, provider)
    stop = make_application(line, [provider], direction="stop", wants_mail=False)
    apply_now(stop.pk, by="operator")
    enabled, _ = WebhookEvent.objects.order_by("pk")
    receiver.answer(Answer(500))
    event = claim_next()
    assert event == enabled
    deliver(event)  # fails: the disabled waits behind it even though both are due
    assert claim_next() == enabled
    receiver.answer(Answer(200), Answer(200))
    deliver(WebhookEvent.objects.get(pk=enabled.pk))
    assert deliver_due() == 1
    types = [verify(r, secret)["type"] for r in receiver.received]
    assert types == ["notification.enabled", "notification.enabled", "notification.disabled"]


# Secrets -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_during_a_rotation_both_secrets_verify(receiver):
    line = make_line()
    provider, old = provider_at(receiver.url)
    new = rotate_secret(provider.endpoint)
    enable(line, provider)
    deliver_due()
    [received] = receiver.received
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert verify(received, old) == verify(received, new)


@pytest.mark.django_db
def test_after_the_overlap_only_the_new_secret_signs(receiver, settings):
    settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS = 0
    line = make_line()
    provider, old = provider_at(receiver.url)
    new = rotate_secret(provider.endpoint)
    enable(line, provider)
    deliver_due()
    [received] = receiver.received
    assert verify(received, new)["type"] == "notification.enabled"
    with pytest.raises(Exception, match="No matching signature"):
        verify(received, old)


# SSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:192.168.0.1]/hooks",
        "https://localhost/hooks",  # a name that resolves to 127.0.0.1
    ],
)
def test_production_refuses_urls_that_are_not_public(settings, url):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL, match="公開されていないアドレス"):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hooks", "https:// で始まる"),
        ("ftp://example.com/hooks", "https:// で始まる"),
        ("https://user:pw@example.com/hooks", "利用者名やパスワード"),
        ("https:///hooks", "ホスト名がありません"),
        ("https://example.com:99999/hooks", "形式が正しくありません"),
    ],
)
def test_production_refuses_urls_that_are_not_https_to_a_host(settings, url, message):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL, match=message):
        check_url(url)


@pytest.mark.django_db
def test_production_refuses_a_private_address_again_at_delivery(receiver, settings):
    line = make_line()
    port = receiver.server.server_address[1]
    # Accepted where private addresses are allowed (a name re-pointed since looks the same).
    provider, _ = provider_at(f"https://localhost:{port}/hooks")
    enable(line, provider)
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    attempt = deliver(claim_next())
    assert attempt.status_code is None
    assert attempt.error.startswith("通知先URLのホストは公開されていないアドレス")
    assert receiver.received == []


# Concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks")
def test_a_slow_provider_does_not_hold_up_another(settings):
    settings.WSO_WEBHOOK_CONCURRENCY = 2
    slow, fast = start_receiver(), start_receiver()
    try:
        fast_arrived = fast.arrived
        slow.answer(Answer(200, wait_for=fast_arrived))  # answers only once the other arrived
        slow_provider, _ = provider_at(slow.url)
        fast_provider, _ = provider_at(fast.url)
        enable(make_line(), slow_provider)
        enable(make_line(), fast_provider)
        assert run_due_deliveries() == 2
        assert WebhookEvent.objects.filter(state=State.DELIVERED).count() == 2
        slow_attempt = WebhookEvent.objects.get(provider=slow_provider).deliveries.get()
        assert slow_attempt.latency_ms < 5000, "the slow one waited for the fast one's arrival"
    finally:
        slow.close()
        fast.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SKIP LOCKED")
def test_two_deliverers_never_send_the_same_event_at_once(receiver):
    provider, _ = provider_at(receiver.url)
    for _ in range(6):
        enable(make_line(), provider)
    results, barrier = [], threading.Barrier(2)

    def deliverer():
        try:
            barrier.wait()
            results.append(deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert sum(results) == 6 and len(ids) == len(set(ids)) == 6
    assert json.loads(receiver.received[0].body)["type"] == "notification.enabled"
