"""工事完了通知メール: content, failures, backoff, the attempts limit, and never twice."""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import override_settings
from django.utils import timezone

from notification.models import Application
from notification.work import (
    INTERRUPTED_MAIL,
    MailNotRetryable,
    apply_next_due,
    give_up_interrupted_mails,
    retry_mail,
    run_due_work,
    send_next_mail,
)
from tests.factories import make_application, make_provider

MailState = Application.MailState
FLAKY = "tests.notification.test_mail.FlakyBackend"


class FlakyBackend(LocmemBackend):
    """A real backend that refuses the first `failures` sends, like an SMTP server that is down
    for a while, then delivers into django.core.mail.outbox."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky():
    def failing(times):
        FlakyBackend.failures = times
        return FLAKY

    yield failing
    FlakyBackend.failures = 0


@pytest.fixture
def completed(alice):
    """An application applied by the worker, its mail not sent yet (a worker killed right here)."""
    providers = [
        make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用"),
        make_provider(code="A0001", name="テスト電話", service_name="IP電話"),
    ]
    application = make_application(alice, providers, email="hanako@example.jp")
    apply_next_due()
    application.refresh_from_db()
    return application


def test_it_writes_the_completion_mail_in_japanese(completed, alice):
    at = timezone.localtime(completed.completed_at, timezone=timezone.get_fixed_timezone(540))

    send_next_mail()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hanako@example.jp"]
    assert message.from_email == "wso-noreply@example.jp"
    assert message.subject == (
        f"【NTT西日本】回線情報通知 工事完了のお知らせ（受付番号: {completed.receipt_number}）"
    )
    assert f"受付番号: {completed.receipt_number}\n" in message.body
    assert f"お客様ID: {alice.customer_id}\n" in message.body
    assert f"完了日時: {at:%Y年%m月%d日 %H時%M分%S秒}\n" in message.body  # as on the receipt
    assert (
        "・IP電話 / A0001 テスト電話: 通知する\n・試験用 / W0099 NTT西日本(試験用): 通知する\n"
        in (message.body)
    )
    assert message.body.startswith("山田太郎 様\n")
    completed.refresh_from_db()
    assert completed.mail_state == MailState.SENT
    assert completed.mail_attempts == 1
    assert completed.mail_sent_at is not None


@override_settings(TIME_ZONE="UTC")
def test_it_writes_times_in_jst_whatever_the_server_zone(completed):
    jst = completed.completed_at.astimezone(timezone.get_fixed_timezone(540))

    send_next_mail()

    assert f"{jst:%H時%M分%S秒}" in mail.outbox[0].body


def test_it_sends_nothing_when_the_applicant_did_not_ask(alice):
    application = make_application(alice, [make_provider()], wants_mail=False, email="")

    done = run_due_work()

    assert (done.handled, done.mails) == (1, 0)
    assert mail.outbox == []
    application.refresh_from_db()
    assert application.mail_state == MailState.NOT_REQUESTED


def test_it_sends_no_mail_for_a_cancelled_or_failed_application(alice):
    provider = make_provider()
    application = make_application(alice, [provider])
    provider.active = False
    provider.save()

    run_due_work()

    application.refresh_from_db()
    assert application.state == Application.State.FAILED
    assert mail.outbox == []


def test_a_worker_killed_before_mailing_sends_once_on_restart_and_does_not_reapply(completed):
    settings_before = list(completed.line.notification_settings.values_list("set_at", flat=True))
    events_before = completed.events.count()

    done = run_due_work()  # the next worker
    again = run_due_work()

    assert (done.handled, done.mails, again.handled, again.mails) == (0, 1, 0, 0)
    assert len(mail.outbox) == 1
    assert completed.events.count() == events_before
    after = list(completed.line.notification_settings.values_list("set_at", flat=True))
    assert after == settings_before


def test_a_failing_mail_server_is_retried_with_backoff_then_recovers(completed, flaky, settings):
    settings.EMAIL_BACKEND = flaky(2)
    settings.WSO_MAIL_RETRY_BASE_SECONDS = 60
    settings.WSO_MAIL_MAX_ATTEMPTS = 5
    now = timezone.now()

    send_next_mail(now=now)
    completed.refresh_from_db()
    assert completed.state == Application.State.COMPLETED, "a mail failure never undoes the 工事"
    assert completed.mail_state == MailState.PENDING
    assert completed.mail_attempts == 1
    assert completed.mail_last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert completed.mail_next_attempt_at == now + timedelta(seconds=60)

    assert send_next_mail(now=now + timedelta(seconds=59)) is None, "not due before the backoff"
    send_next_mail(now=now + timedelta(seconds=60))
    completed.refresh_from_db()
    assert completed.mail_attempts == 2
    assert completed.mail_next_attempt_at == now + timedelta(seconds=60 + 120)

    send_next_mail(now=now + timedelta(seconds=180))
    completed.refresh_from_db()
    assert completed.mail_state == MailState.SENT
    assert completed.mail_attempts == 3
    assert completed.mail_last_error == ""
    assert len(mail.outbox) == 1
    assert send_next_mail(now=now + timedelta(days=1)) is None


def test_it_gives_up_after_the_maximum_attempts(completed, flaky, settings):
    settings.EMAIL_BACKEND = flaky(10)
    settings.WSO_MAIL_RETRY_BASE_SECONDS = 10
    settings.WSO_MAIL_MAX_ATTEMPTS = 3
    now = timezone.now()

    for delay in (0, 10, 30):
        assert send_next_mail(now=now + timedelta(seconds=delay)) == completed

    completed.refresh_from_db()
    assert completed.mail_state == MailState.FAILED
    assert completed.mail_attempts == 3
    assert completed.mail_next_attempt_at is None
    assert "SMTPServerDisconnected" in completed.mail_last_error
    assert send_next_mail(now=now + timedelta(days=1)) is None
    assert FlakyBackend.failures == 7, "exactly three attempts reached the server"
    assert mail.outbox == []


def test_retry_mail_sends_a_failed_mail_again(completed, flaky, settings):
    settings.EMAIL_BACKEND = flaky(1)
    settings.WSO_MAIL_MAX_ATTEMPTS = 1
    send_next_mail()
    completed.refresh_from_db()
    assert completed.mail_state == MailState.FAILED

    retry_mail(completed.pk, by="operator")
    completed.refresh_from_db()
    assert (completed.mail_state, completed.mail_attempts) == (MailState.PENDING, 0)
    send_next_mail()

    completed.refresh_from_db()
    assert completed.mail_state == MailState.SENT
    assert len(mail.outbox) == 1


def test_retry_mail_never_resends_a_sent_mail(completed):
    send_next_mail()

    with pytest.raises(MailNotRetryable, match="送信済みのため再送できません"):
        retry_mail(completed.pk, by="operator")

    assert run_due_work().mails == 0
    assert len(mail.outbox) == 1


def test_a_mail_interrupted_while_sending_is_not_sent_again(completed):
    # What a worker killed after the SMTP server took the mail but before its commit leaves:
    # the attempt reserved and committed, no outcome.
    Application.objects.filter(pk=completed.pk).update(mail_attempts=1, mail_next_attempt_at=None)

    done = run_due_work()

    assert done.mails == 0
    assert mail.outbox == []
    completed.refresh_from_db()
    assert completed.mail_state == MailState.FAILED
    assert completed.mail_last_error == INTERRUPTED_MAIL
    assert give_up_interrupted_mails() == 0


def test_a_pending_mail_of_an_open_application_waits_for_the_work(alice):
    make_application(alice, [make_provider()], due_in=600)

    assert send_next_mail() is None
    assert give_up_interrupted_mails() == 0
    assert mail.outbox == []
