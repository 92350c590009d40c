"""即時通知の履歴: the provider's own events, filtered and paged, each with its attempts (status,
latency, the answer's first 1 KiB); 再送 and 【失敗した通知をまとめて再送】 through
providers.webhooks.redeliver, keeping webhook-id and the order per line."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from providers.models import WebhookEvent
from providers.webhooks import claim_next, deliver, deliver_due, register_endpoint
from tests.factories import make_line
from tests.providers.receiver import Answer

EVENTS = reverse("console:events")
State = WebhookEvent.State
Type = WebhookEvent.Type
_n = iter(range(1, 10_000))


def make_event(provider, line=None, *, type=Type.ENABLED, state=State.PENDING, at=None, **fields):
    at = at or timezone.now()
    data = {"provider_code": provider.code}
    if line is not None:
        data["customer_id"] = line.customer_id
    return WebhookEvent.objects.create(
        provider=provider,
        line=line,
        type=type,
        webhook_id=f"msg_{next(_n):032x}",
        data=data,
        created_at=at,
        state=state,
        **{"next_attempt_at": at, **fields},
    )


def listed(client, **query):
    html = client.get(EVENTS, query).content.decode()
    return re.findall(r'href="/provider/events/(\d+)/"', html)


def test_the_list_shows_the_providers_own_events_with_the_id_only_where_carried(
    carol_client, w0099, other_provider, alice, bob
):
    mine = make_event(w0099, alice)
    test = make_event(w0099, type=Type.TEST)
    make_event(other_provider, bob)
    html = carol_client.get(EVENTS).content.decode()
    assert listed(carol_client) == [str(test.pk), str(mine.pk)]
    assert alice.customer_id in html and bob.customer_id not in html
    assert re.search(r"<td>notification.test</td>\s*<td>-</td>", html)


def test_filters_by_state_type_and_date(carol_client, w0099, alice):
    now = timezone.now()
    old = make_event(w0099, alice, state=State.FAILED, at=now - timedelta(days=10))
    failed = make_event(w0099, alice, state=State.FAILED, type=Type.DISABLED)
    delivered = make_event(w0099, alice, state=State.DELIVERED)
    assert listed(carol_client, state="failed") == [str(failed.pk), str(old.pk)]
    assert listed(carol_client, type="notification.disabled") == [str(failed.pk)]
    today = timezone.localdate()
    assert str(old.pk) not in listed(carol_client, since=today.isoformat())
    assert listed(carol_client, until=(today - timedelta(days=5)).isoformat()) == [str(old.pk)]
    assert str(delivered.pk) in listed(carol_client, state="nonsense")  # ignored


def test_the_list_is_paged_and_keeps_its_filters(carol_client, w0099, alice):
    for _ in range(51):
        make_event(w0099, alice, state=State.FAILED)
    html = carol_client.get(EVENTS, {"state": "failed"}).content.decode()
    assert len(listed(carol_client, state="failed")) == 50
    assert "?state=failed&amp;page=2" in html
    assert len(listed(carol_client, state="failed", page=2)) == 1


def test_an_event_opens_to_its_attempts_with_the_first_kib_of_the_answer(
    carol_client, w0099, alice, receiver
):
    register_endpoint(w0099, receiver.url)
    event = make_event(w0099, alice)
    receiver.answer(Answer(status=503, body=b"busy " + b"x" * 2000))
    deliver(claim_next())
    html = carol_client.get(reverse("console:event", args=[event.pk])).content.decode()
    assert event.webhook_id in html
    attempt = event.deliveries.get()
    assert attempt.response_body == ("busy " + "x" * 2000)[:1024]
    assert re.search(r"<td>503</td>\s*<td>\d+ ms</td>", html)
    assert "busy " + "x" * 1019 + "</pre>" in html


def test_redeliver_sends_the_event_again_with_its_webhook_id(carol_client, w0099, alice, receiver):
    register_endpoint(w0099, receiver.url)
    event = make_event(w0099, alice, state=State.FAILED, attempts=8)
    response = carol_client.post(reverse("console:event_redeliver", args=[event.pk]))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == State.PENDING
    deliver_due()
    assert receiver.received[0].headers["webhook-id"] == event.webhook_id
    entry = AuditEntry.objects.get(action="redeliver_event")
    assert entry.details["state_before"] == "failed" and entry.details["provider"] == "W0099"


def test_resend_failed_since_a_date_keeps_ids_and_the_order_per_line(
    carol_client, w0099, other_provider, alice, receiver
):
    register_endpoint(w0099, receiver.url)
    now = timezone.now()
    before = make_event(w0099, alice, state=State.FAILED, at=now - timedelta(days=3))
    first = make_event(w0099, alice, state=State.FAILED, at=now - timedelta(hours=2))
    second = make_event(
        w0099, alice, type=Type.DISABLED, state=State.FAILED, at=now - timedelta(hours=1)
    )
    delivered = make_event(w0099, alice, state=State.DELIVERED)
    theirs = make_event(other_provider, make_line(), state=State.FAILED)
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = carol_client.post(reverse("console:events_resend_failed"), {"since": since})
    assert response.status_code == 302
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert states[first.pk] == states[second.pk] == State.PENDING
    assert states[before.pk] == State.FAILED and states[theirs.pk] == State.FAILED
    assert states[delivered.pk] == State.DELIVERED
    deliver_due()
    sent = [r.headers["webhook-id"] for r in receiver.received]
    assert sent == [first.webhook_id, second.webhook_id]
    assert [json.loads(r.body)["type"] for r in receiver.received] == [
        "notification.enabled",
        "notification.disabled",
    ]
    assert AuditEntry.objects.filter(action="redeliver_event").count() == 2


def test_resend_failed_needs_a_date(carol_client, w0099):
    response = carol_client.post(reverse("console:events_resend_failed"), {}, follow=True)
    assert "日付を入力してください。" in response.content.decode()


def test_another_providers_event_is_a_404_on_every_page_and_post(carol_client, other_provider, bob):
    theirs = make_event(other_provider, bob, state=State.FAILED)
    assert carol_client.get(reverse("console:event", args=[theirs.pk])).status_code == 404
    assert (
        carol_client.post(reverse("console:event_redeliver", args=[theirs.pk])).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.state == State.FAILED
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("body", [b"\x00nul", "日本語".encode() * 200])
def test_any_answer_body_is_kept(carol_client, w0099, alice, receiver, body):
    register_endpoint(w0099, receiver.url)
    make_event(w0099, alice)
    receiver.answer(Answer(body=body))
    attempt = deliver(claim_next())
    assert "\x00" not in attempt.response_body
    assert len(attempt.response_body.encode()) <= 1024 + 3


def test_the_events_states_are_shown_in_the_consoles_language(carol_client, w0099, settings):
    from console.forms import STATE_LABELS

    assert set(STATE_LABELS) == set(State)  # every state has its label
    event = make_event(w0099, state=State.FAILED)
    make_event(w0099, state=State.DELIVERED)
    html = carol_client.get(EVENTS).content.decode()
    assert "<td>送信失敗</td>" in html and "<td>送信済み</td>" in html
    carol_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = carol_client.get(EVENTS).content.decode()
    assert "<td>Failed</td>" in html and "<td>Delivered</td>" in html
    assert '<option value="pending">Pending</option>' in html
    detail = carol_client.get(reverse("console:event", args=[event.pk])).content.decode()
    assert "<td>Failed</td>" in detail
