"""申込取消: the subscriber cancels an application before its 工事, from the receipt of 申込履歴."""

import logging
import re
import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from notification.models import Application, NotificationSetting
from notification.services import all_in_choice
from notification.signals import settings_switched
from notification.work import (
    NotOpen,
    apply_next_due,
    apply_now,
    cancel_application,
    cancel_by_subscriber,
    run_due_work,
)
from providers.models import WebhookEvent
from providers.webhooks import register_endpoint
from tests.factories import make_application, make_line, make_provider, set_notify
from tests.notification.flow_helpers import start_notify, submit, walk_to_confirm
from tests.processes import Thread

State = Application.State
NOT_STARTED_ANY_MORE = ["in_progress", "completed", "failed", "cancelled"]


def receipt_url(application) -> str:
    return reverse("notification:receipt", args=[application.receipt_number])


def cancel_url(application) -> str:
    return reverse("notification:cancel", args=[application.receipt_number])


def events_of(application) -> list[tuple[str, str]]:
    return list(application.events.order_by("id").values_list("state", "note"))


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "wso_portal.security"]


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="wso_portal.security")
    return caplog


# The screens ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_receipt_of_an_application_still_received_offers_the_cancel(
    alice_client, alice, provider, agreement
):
    application = make_application(alice, [provider], agreement=agreement)
    html = alice_client.get(receipt_url(application)).content.decode()
    assert f'href="{cancel_url(application)}"' in html
    assert ">申込を取り消す</a>" in html


@pytest.mark.django_db
@pytest.mark.parametrize("state", NOT_STARTED_ANY_MORE)
def test_once_the_work_has_started_the_receipt_has_no_cancel(
    alice_client, alice, provider, agreement, state
):
    application = make_application(alice, [provider], agreement=agreement, state=state)
    html = alice_client.get(receipt_url(application)).content.decode()
    assert "申込を取り消す" not in html
    assert cancel_url(application) not in html


@pytest.mark.django_db
def test_the_confirmation_names_the_receipt_number_and_the_providers(alice, provider, agreement):
    other = make_provider(code="W0100", name="光電話サービス株式会社")
    application = make_application(alice, [provider, other], agreement=agreement)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.get(cancel_url(application))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>申込取消の確認 | NTT西日本</title>" in html
    assert '<h1 class="page__title">申込取消の確認</h1>' in html
    assert "取り消したお申し込みは元に戻すことができません。" in html
    assert f'<td data-testid="receipt-number">{application.receipt_number}</td>' in html
    assert 'data-testid="providers-table"' in html
    assert "W0099 NTT西日本(試験用)" in html and "W0100 光電話サービス株式会社" in html
    assert re.search(r'<td class="status"[^>]*>通知する</td>', html)
    assert f'<form method="post" action="{cancel_url(application)}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<button type="submit" class="button">取り消す</button>' in html
    assert f'href="{receipt_url(application)}"' in html
    # Only looking changes nothing.
    application.refresh_from_db()
    assert application.state == State.RECEIVED


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(alice, provider, agreement):
    application = make_application(alice, [provider], agreement=agreement)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    assert client.post(cancel_url(application)).status_code == 403
    application.refresh_from_db()
    assert application.state == State.RECEIVED


@pytest.mark.django_db
def test_the_screens_need_a_login(client, alice, provider, agreement):
    application = make_application(alice, [provider], agreement=agreement)
    for response in (client.get(cancel_url(application)), client.post(cancel_url(application))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    application.refresh_from_db()
    assert application.state == State.RECEIVED


# Cancelling --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_closes_the_application_as_the_subscribers_and_frees_its_providers(
    alice_client, alice, provider, agreement, security_log
):
    application = make_application(alice, [provider], agreement=agreement)
    assert not all_in_choice(alice, "notify", [provider.pk])  # 工事中 until now

    response = alice_client.post(cancel_url(application))

    assert response.status_code == 302
    assert response["Location"] == reverse("notification:history")
    application.refresh_from_db()
    assert application.state == State.CANCELLED
    assert application.cancelled_at is not None
    assert events_of(application) == [(State.RECEIVED, ""), (State.CANCELLED, "お客様が取消")]
    assert not application.items.filter(is_open=True).exists()
    assert application.mail_state == Application.MailState.NOT_REQUESTED
    assert not NotificationSetting.objects.exists()
    assert security_lines(security_log) == [
        f"event=application_cancelled line={alice.flets_number} "
        f"receipt_number={application.receipt_number}"
    ]

    html = alice_client.get(response["Location"]).content.decode()
    assert f"受付番号 {application.receipt_number} のお申し込みを取り消しました。" in html
    assert re.search(r'<td class="status"[^>]*>取消</td>', html)
    html = alice_client.get(receipt_url(application)).content.decode()
    assert '<td data-testid="state">取消</td>' in html
    assert "申込を取り消す" not in html


@pytest.mark.django_db
def test_the_provider_can_be_picked_again_at_once(alice_client, alice, provider, agreement):
    application = make_application(alice, [provider], agreement=agreement)
    alice_client.post(cancel_url(application))

    flow_id = start_notify(alice_client, provider)  # refused while the provider was 工事中
    walk_to_confirm(alice_client, flow_id, agreement)
    response = submit(alice_client, flow_id)

    again = Application.objects.exclude(pk=application.pk).get()
    assert response["Location"] == receipt_url(again)
    assert [item.provider for item in again.items.filter(is_open=True)] == [provider]


@pytest.mark.django_db
def test_a_stop_application_cancelled_leaves_the_setting_as_it_was(
    alice_client, alice, provider, agreement
):
    set_notify(alice, provider)
    application = make_application(alice, [provider], direction="stop", agreement=agreement)
    alice_client.post(cancel_url(application))
    run_due_work()
    assert NotificationSetting.objects.get(line=alice, provider=provider).notify
    assert all_in_choice(alice, "stop", [provider.pk])


@pytest.mark.django_db
def test_no_completion_mail_is_sent_for_a_cancelled_application(
    alice_client, alice, provider, agreement, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cancelled = make_application(alice, [provider], agreement=agreement, wants_mail=True)
    applied = make_application(make_line(), [provider], agreement=agreement, wants_mail=True)
    alice_client.post(cancel_url(cancelled))

    done = run_due_work()

    assert (done.handled, done.mails) == (1, 1)
    assert [m.to for m in mail.outbox] == [["taro@example.jp"]]
    assert applied.receipt_number in mail.outbox[0].body
    assert cancelled.receipt_number not in mail.outbox[0].body
    cancelled.refresh_from_db()
    assert cancelled.state == State.CANCELLED
    assert cancelled.mail_state == Application.MailState.NOT_REQUESTED
    assert cancelled.wants_completion_mail  # the wish is kept, nothing to report


@pytest.mark.django_db
def test_no_provider_webhook_event_is_written(alice_client, alice, provider, agreement):
    register_endpoint(provider, "http://127.0.0.1:9/hooks")
    application = make_application(alice, [provider], agreement=agreement)
    switched = []

    def receiver(sender, **kwargs):
        switched.append(kwargs["application"].pk)

    settings_switched.connect(receiver, dispatch_uid="test_cancel.switched")
    try:
        alice_client.post(cancel_url(application))
        run_due_work()
    finally:
        settings_switched.disconnect(dispatch_uid="test_cancel.switched")

    assert switched == []
    assert not WebhookEvent.objects.exists()
    # The same provider with an endpoint does get its event when an application is applied.
    apply_now(make_application(make_line(), [provider]).pk, by="operator")
    assert WebhookEvent.objects.count() == 1


# Refused -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("state", NOT_STARTED_ANY_MORE)
def test_a_forged_post_once_the_work_started_is_refused_with_a_message(
    alice_client, alice, provider, agreement, security_log, state
):
    application = make_application(alice, [provider], agreement=agreement, state=state)
    before = (events_of(application), list(application.items.values_list("is_open", flat=True)))

    response = alice_client.post(cancel_url(application), follow=True)

    assert response.redirect_chain == [(receipt_url(application), 302)]
    html = response.content.decode()
    if state == "cancelled":
        number = application.receipt_number
        assert f"受付番号 {number} のお申し込みは既に取り消されています。" in html
    else:
        assert "工事が開始されているため、取り消すことができません。" in html
    assert '<li class="message message--error">' in html
    application.refresh_from_db()
    assert application.state == state
    after = (events_of(application), list(application.items.values_list("is_open", flat=True)))
    assert after == before
    assert security_lines(security_log) == [
        f"event=application_cancel_refused line={alice.flets_number} "
        f"receipt_number={application.receipt_number} state={state}"
    ]


@pytest.mark.django_db
def test_the_confirmation_once_the_work_started_goes_back_to_the_receipt(
    alice_client, alice, provider, agreement
):
    application = make_application(alice, [provider], agreement=agreement, state="completed")
    response = alice_client.get(cancel_url(application), follow=True)
    assert response.redirect_chain == [(receipt_url(application), 302)]
    html = response.content.decode()
    assert "取り消すことができません" in html
    assert '<td data-testid="state">完了</td>' in html


@pytest.mark.django_db
def test_a_second_click_says_it_is_already_cancelled(alice_client, alice, provider, agreement):
    application = make_application(alice, [provider], agreement=agreement)
    alice_client.post(cancel_url(application))
    response = alice_client.post(cancel_url(application), follow=True)
    assert "既に取り消されています" in response.content.decode()
    assert [state for state, _ in events_of(application)] == [State.RECEIVED, State.CANCELLED]


@pytest.mark.django_db
def test_another_lines_application_cannot_be_cancelled(
    alice_client, alice, bob, provider, agreement, security_log
):
    bobs = make_application(bob, [provider], agreement=agreement)
    for response in (alice_client.get(cancel_url(bobs)), alice_client.post(cancel_url(bobs))):
        assert response.status_code == 404
        html = response.content.decode()
        assert "該当するお申し込みが見つかりません。" in html
        assert 'data-testid="receipt-number"' not in html  # (the path is in the page)
        assert provider.name not in html
    bobs.refresh_from_db()
    assert bobs.state == State.RECEIVED
    assert events_of(bobs) == [(State.RECEIVED, "")]
    line, number = alice.flets_number, bobs.receipt_number
    not_found = f"event=receipt_not_found line={line} receipt_number={number}"
    assert security_lines(security_log) == [not_found, not_found]
    with pytest.raises(Application.DoesNotExist):
        cancel_by_subscriber(alice, bobs.receipt_number)


@pytest.mark.django_db
def test_an_unknown_receipt_number_is_not_found(alice_client):
    url = reverse("notification:cancel", args=["20260101-000000"])
    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url).status_code == 404


@pytest.mark.django_db
def test_losing_to_the_worker_shows_the_receipt_as_it_now_stands(
    alice_client, alice, provider, agreement, monkeypatch
):
    """The confirmation was shown while 受付; the worker applies it before 【取り消す】 lands."""
    application = make_application(alice, [provider], agreement=agreement)
    assert alice_client.get(cancel_url(application)).status_code == 200
    from notification import views

    def worker_first(line, receipt_number, **kwargs):
        apply_next_due()
        return cancel_by_subscriber(line, receipt_number, **kwargs)

    monkeypatch.setattr(views, "cancel_by_subscriber", worker_first)

    response = alice_client.post(cancel_url(application), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(receipt_url(application), 302)]
    html = response.content.decode()
    assert "工事が開始されているため、取り消すことができません。" in html
    assert '<td data-testid="state">完了</td>' in html
    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert NotificationSetting.objects.get(line=alice, provider=provider).notify


# The service ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_subscriber_cannot_cancel_once_in_progress_but_an_operator_still_can(alice, provider):
    application = make_application(alice, [provider], state="in_progress")
    with pytest.raises(NotOpen):
        cancel_by_subscriber(alice, application.receipt_number)
    application.refresh_from_db()
    assert application.state == State.IN_PROGRESS
    cancel_application(application.pk, by="operator")
    assert events_of(application)[-1] == (State.CANCELLED, "運用者 operator が取消")


# Racing the worker on PostgreSQL -----------------------------------------------------------------


def logged_in(line) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(line.user)
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks, SKIP LOCKED and several connections at once",
)
class TestRacingTheWorker:
    def test_the_worker_holding_the_row_wins_and_the_subscriber_sees_the_receipt(self):
        line, provider = make_line(), make_provider()
        application = make_application(line, [provider])
        client = logged_in(line)

        with transaction.atomic():
            apply_next_due()  # the worker holds the row, not committed yet
            subscriber = Thread(lambda: client.post(cancel_url(application)))
            subscriber.start()
            time.sleep(0.3)
            assert subscriber.is_alive(), "the cancel waits for the row lock"

        response, error = subscriber.outcome()
        assert error is None
        assert response.status_code == 302
        assert response["Location"] == receipt_url(application)
        html = client.get(response["Location"]).content.decode()
        assert "工事が開始されているため、取り消すことができません。" in html
        assert '<td data-testid="state">完了</td>' in html
        application.refresh_from_db()
        assert application.state == State.COMPLETED
        assert [state for state, _ in events_of(application)] == [
            State.RECEIVED,
            State.IN_PROGRESS,
            State.COMPLETED,
        ]
        assert NotificationSetting.objects.get(line=line, provider=provider).notify

    def test_the_subscriber_holding_the_row_wins_and_the_worker_finds_it_cancelled(self):
        line, provider = make_line(), make_provider()
        application = make_application(line, [provider])

        with transaction.atomic():
            cancel_by_subscriber(line, application.receipt_number)  # not committed yet
            worker = Thread(run_due_work)
            worker.start()
            done, error = worker.outcome(timeout=5)
            assert error is None
            assert (done.handled, done.mails) == (0, 0), "skipped, not waited for"

        assert (run_due_work().handled, len(mail.outbox)) == (0, 0)
        application.refresh_from_db()
        assert application.state == State.CANCELLED
        assert events_of(application) == [(State.RECEIVED, ""), (State.CANCELLED, "お客様が取消")]
        assert not NotificationSetting.objects.exists()

    def test_subscribers_racing_a_worker_never_both_win(self):
        provider = make_provider()
        register_endpoint(provider, "http://127.0.0.1:9/hooks")
        applications = [make_application(make_line(), [provider]) for _ in range(30)]
        clients = {a.pk: logged_in(a.line) for a in applications}
        barrier = threading.Barrier(2)

        def cancel_all():
            statuses = {}
            for application in reversed(applications):
                response = clients[application.pk].post(cancel_url(application))
                statuses[application.pk] = response["Location"]
            return statuses

        worker = Thread(run_due_work, start_together=barrier)
        subscribers = Thread(cancel_all, start_together=barrier)
        worker.start()
        subscribers.start()
        (done, worker_error), (answers, subscriber_error) = worker.outcome(), subscribers.outcome()

        assert (worker_error, subscriber_error) == (None, None)
        cancelled = [pk for pk, to in answers.items() if to == reverse("notification:history")]
        assert done.handled + len(cancelled) == 30
        for application in applications:
            application.refresh_from_db()
            states = [state for state, _ in events_of(application)]
            if application.pk in cancelled:
                assert application.state == State.CANCELLED
                assert states == [State.RECEIVED, State.CANCELLED]
                assert not NotificationSetting.objects.filter(line=application.line).exists()
            else:
                assert answers[application.pk] == receipt_url(application)
                assert application.state == State.COMPLETED
                assert states == [State.RECEIVED, State.IN_PROGRESS, State.COMPLETED]
            assert not application.items.filter(is_open=True).exists()
        assert NotificationSetting.objects.count() == done.handled
        assert WebhookEvent.objects.count() == done.handled
        assert not WebhookEvent.objects.filter(application_item__application__in=cancelled).exists()
        assert len(mail.outbox) == done.mails == done.handled
