"""`manage.py worker --once` in this process, on whichever database the run uses."""

import logging

import pytest
from django.core import mail
from django.core.management import call_command

from notification.models import Application, NotificationSetting
from tests.factories import make_application, make_provider

State = Application.State


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


def test_it_applies_what_is_due_mails_it_and_logs_each_application(alice, bob, provider, caplog):
    due = make_application(alice, [provider])
    later = make_application(bob, [provider], due_in=3600)

    with caplog.at_level(logging.INFO, logger="notification.worker"):
        call_command("worker", "--once")

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.state == State.COMPLETED
    assert due.mail_state == Application.MailState.SENT
    assert later.state == State.RECEIVED
    assert NotificationSetting.objects.get(line=alice, provider=provider).notify
    assert not NotificationSetting.objects.filter(line=bob).exists()
    assert len(mail.outbox) == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "notification.worker"]
    assert f"受付番号 {due.receipt_number}: 完了 (通知する, 1件)" in messages
    assert f"受付番号 {due.receipt_number}: 工事完了通知メールを送信" in messages
    assert not any(later.receipt_number in m for m in messages)
    assert messages[-1] == "工事ワーカー停止"


def test_it_logs_a_failure_with_its_reason(alice, provider, caplog):
    application = make_application(alice, [provider])
    provider.active = False
    provider.save()

    with caplog.at_level(logging.INFO, logger="notification.worker"):
        call_command("worker", "--once")

    application.refresh_from_db()
    assert application.state == State.FAILED
    failures = [r for r in caplog.records if r.levelno == logging.WARNING]
    reason = "サービス提供者 W0099 は現在受付を停止しています。"
    assert [r.getMessage() for r in failures] == [
        f"受付番号 {application.receipt_number}: 失敗 ({reason})"
    ]


def test_a_second_run_changes_nothing(alice, provider):
    application = make_application(alice, [provider])
    call_command("worker", "--once")
    setting = NotificationSetting.objects.get(line=alice, provider=provider)

    call_command("worker", "--once")

    assert application.events.count() == 3
    assert NotificationSetting.objects.get(pk=setting.pk).set_at == setting.set_at
    assert len(mail.outbox) == 1
