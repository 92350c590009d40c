"""`manage.py purge`: nothing personal is kept past its time."""

import io
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from providers.models import DeliveryAttempt, WebhookEvent
from providers.services import retention_start
from tests.factories import make_disclosure, make_line, make_provider
from wso_portal.models import Lockout, LoginAttempt

pytestmark = pytest.mark.django_db


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["flow"] = {"applicant": {"name": "山田太郎", "phone": "090-1234-5678"}}
    store.set_expiry(timezone.now() + expires_in)
    store.save()
    return store.session_key


def attempt(days_ago: int) -> LoginAttempt:
    return LoginAttempt.objects.create(
        flets_number="06000000001",
        client_address="192.0.2.1",
        address_key="192.0.2.1",
        succeeded=False,
        reason="wrong",
        at=timezone.now() - timedelta(days=days_ago),
    )


def event(provider, line, type_, state, days_ago: int, n: int) -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider=provider,
        line=line,
        type=type_,
        state=state,
        webhook_id=f"msg_{n:032x}",
        data={},
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def attempts(event: WebhookEvent, n: int) -> None:
    for _ in range(n):
        DeliveryAttempt.objects.create(event=event, status_code=500, latency_ms=10)


def test_expired_sessions_go_with_the_applicant_details_they_hold():
    expired, live = session(timedelta(seconds=-1)), session(timedelta(minutes=30))
    out = purge()
    assert "期限切れのセッション: 1件" in out
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert expired != live


def test_login_records_past_retention_go(settings):
    settings.WSO_LOGIN_RECORD_RETENTION_DAYS = 90
    old, recent = attempt(91), attempt(89)
    Lockout.objects.create(kind="address", key="192.0.2.1", until=timezone.now() - timedelta(91))
    Lockout.objects.create(kind="address", key="192.0.2.1", until=timezone.now())
    assert "ログイン記録 (90日より前): 2件" in purge()
    assert list(LoginAttempt.objects.all()) == [recent]
    assert Lockout.objects.count() == 1
    assert old.pk != recent.pk


@pytest.mark.parametrize("batch_size", ["10000", "1"])
def test_delivered_events_past_retention_go_but_the_last_enabled_of_each_pair_stays(
    settings, batch_size
):
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 30
    provider, line, other_line = make_provider(), make_line(), make_line()
    E, D = WebhookEvent.Type.ENABLED, WebhookEvent.Type.DISABLED
    delivered, pending = WebhookEvent.State.DELIVERED, WebhookEvent.State.PENDING
    gone = [
        event(provider, line, E, delivered, 100, 1),  # superseded by the disable after it
        event(provider, line, D, delivered, 90, 2),
    ]
    last_enabled = event(provider, line, E, delivered, 80, 3)  # still says it had the ID
    still_pending = event(provider, other_line, D, pending, 80, 4)
    recent = event(provider, other_line, E, delivered, 5, 5)
    kept_from = retention_start()  # the month holding the moment 30 days ago
    old_disclosure = make_disclosure(line, provider, at=kept_from - timedelta(seconds=1))
    for an_event, n in [(gone[0], 3), (gone[1], 2), (last_enabled, 4), (still_pending, 1)]:
        attempts(an_event, n)
    out = purge(f"--batch-size={batch_size}")
    assert f"即時通知 ({kept_from:%Y/%m/%d}より前、送信済み・送信失敗): 2件\n" in out
    assert "その即時通知の送信記録: 5件\n" in out
    assert f"提供履歴 ({kept_from:%Y/%m/%d}より前): 1件\n" in out
    assert set(WebhookEvent.objects.all()) == {last_enabled, still_pending, recent}
    assert DeliveryAttempt.objects.filter(event=last_enabled).count() == 4
    assert DeliveryAttempt.objects.count() == 5
    assert not WebhookEvent.objects.filter(pk__in=[e.pk for e in gone]).exists()
    assert old_disclosure.pk is not None
