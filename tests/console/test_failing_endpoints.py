"""Failing endpoints: an endpoint failing every attempt for 5 days is disabled; its provider's
users and the operators are mailed at the first failure of a day and at disabling; 【再開】
re-enables it and sends what is pending."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from providers.models import Endpoint, WebhookEvent
from providers.webhooks import claim_next, deliver, deliver_due, register_endpoint
from tests.providers.receiver import Answer

from .test_events import make_event

State = WebhookEvent.State


@pytest.fixture
def failing(w0099, receiver, carol, dave):
    get_user_model().objects.create_user("ops", "ops@example.jp", "x", is_staff=True)
    endpoint, _ = register_endpoint(w0099, receiver.url)
    return endpoint


def fail_once(receiver, provider, line):
    receiver.answer(Answer(status=500))
    make_event(provider, line)
    attempt = deliver(claim_next())
    WebhookEvent.objects.update(state=State.FAILED)  # out of the way of the next one
    return attempt


def test_the_first_failure_of_a_day_mails_the_users_and_the_operators_apart(
    failing, receiver, w0099, alice
):
    fail_once(receiver, w0099, alice)
    assert [m.to for m in mail.outbox] == [["carol@w0099.example.jp"], ["ops@example.jp"]]
    assert "即時通知の送信に失敗しています (W0099)" in mail.outbox[0].subject
    assert failing.url in mail.outbox[0].body
    fail_once(receiver, w0099, alice)
    assert len(mail.outbox) == 2  # not again that day
    Endpoint.objects.filter(pk=failing.pk).update(
        failure_mailed_on=timezone.localdate() - timedelta(days=1)
    )
    fail_once(receiver, w0099, alice)
    assert len(mail.outbox) == 4  # the next day's first


def test_a_success_ends_the_run_of_failures(failing, receiver, w0099, alice):
    fail_once(receiver, w0099, alice)
    assert Endpoint.objects.get().failing_since is not None
    WebhookEvent.objects.update(state=State.DELIVERED)
    make_event(w0099, alice)
    deliver(claim_next())
    assert Endpoint.objects.get().failing_since is None


def test_five_days_of_failures_disable_it_and_nothing_more_is_sent(failing, receiver, w0099, alice):
    Endpoint.objects.filter(pk=failing.pk).update(
        failing_since=timezone.now() - timedelta(days=5), failure_mailed_on=timezone.localdate()
    )
    fail_once(receiver, w0099, alice)
    endpoint = Endpoint.objects.get()
    assert endpoint.disabled_at is not None
    assert [m.subject for m in mail.outbox] == ["[WSO] 通知先URLを停止しました (W0099)"] * 2
    WebhookEvent.objects.update(next_attempt_at=timezone.now())
    make_event(w0099, alice)
    assert claim_next() is None


def test_four_days_are_not_enough(failing, receiver, w0099, alice):
    Endpoint.objects.filter(pk=failing.pk).update(failing_since=timezone.now() - timedelta(days=4))
    fail_once(receiver, w0099, alice)
    assert Endpoint.objects.get().disabled_at is None


def test_resume_re_enables_it_and_sends_what_is_pending_in_order(
    carol_client, failing, receiver, w0099, alice
):
    Endpoint.objects.filter(pk=failing.pk).update(
        disabled_at=timezone.now(), failing_since=timezone.now() - timedelta(days=6)
    )
    later = timezone.now() + timedelta(hours=3)
    first = make_event(w0099, alice, next_attempt_at=later)
    second = make_event(w0099, alice, next_attempt_at=later)
    html = carol_client.get(reverse("console:endpoint")).content.decode()
    assert 'data-testid="endpoint-disabled"' in html and ">再開</button>" in html
    response = carol_client.post(reverse("console:endpoint_resume"), follow=True)
    assert "送信待ちの通知2件から送ります" in response.content.decode()
    assert Endpoint.objects.get().disabled_at is None
    deliver_due()
    assert [r.headers["webhook-id"] for r in receiver.received] == [
        first.webhook_id,
        second.webhook_id,
    ]
    entry = AuditEntry.objects.get(action="resume_endpoint")
    assert entry.details == {"provider": "W0099", "via": "console", "pending": 2}


def test_resume_of_an_endpoint_that_is_not_disabled_does_nothing(carol_client, failing):
    carol_client.post(reverse("console:endpoint_resume"))
    assert not AuditEntry.objects.filter(action="resume_endpoint").exists()


def test_resume_never_touches_another_providers_endpoint(carol_client, other_provider, w0099):
    theirs, _ = register_endpoint(other_provider, "http://127.0.0.1:9/theirs")
    Endpoint.objects.filter(pk=theirs.pk).update(disabled_at=timezone.now())
    carol_client.post(reverse("console:endpoint_resume"))
    assert Endpoint.objects.get(pk=theirs.pk).disabled_at is not None


def test_an_operator_resumes_it_in_the_admin_too(admin_client, failing, w0099):
    Endpoint.objects.filter(pk=failing.pk).update(disabled_at=timezone.now())
    page = admin_client.get(reverse("admin:providers_endpoint_changelist")).content.decode()
    assert "停止日時" in page
    admin_client.post(
        reverse("admin:providers_endpoint_changelist"),
        {"action": "resume_endpoints", "_selected_action": [failing.pk]},
    )
    assert Endpoint.objects.get().disabled_at is None
    entry = AuditEntry.objects.get(action="resume_endpoint")
    assert entry.operator == "operator" and entry.details["provider"] == "W0099"
