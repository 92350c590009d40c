"""Operators' admin for 申込: list, search, read-only detail, and the three actions."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from notification.models import Application, NotificationSetting
from notification.work import run_due_work
from tests.factories import make_application, make_line, make_provider
from tests.notification.test_mail import FLAKY, FlakyBackend

State = Application.State
MailState = Application.MailState
LIST = reverse("admin:notification_application_changelist")


def change_url(application):
    return reverse("admin:notification_application_change", args=[application.pk])


def act(client, action, *applications):
    return client.post(
        LIST,
        {"action": action, "_selected_action": [a.pk for a in applications]},
        follow=True,
    )


def shown_messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")


@pytest.fixture
def application(alice, provider):
    return make_application(alice, [provider], due_in=3600)


def test_the_list_shows_applications_with_a_constant_number_of_queries(
    admin_client, application, provider, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10) as few:
        response = admin_client.get(LIST)
    assert response.status_code == 200
    for _ in range(10):
        make_application(make_line(), [provider])

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(LIST)

    page = response.content.decode()
    assert application.receipt_number in page
    assert application.line.customer_id in page  # the フレッツナンバー is on its own page
    assert "受付" in page and "送信待ち" in page
    assert response.context["cl"].result_count == 11


@pytest.mark.parametrize("term", ["receipt", "flets", "customer", "receipt_fullwidth"])
def test_it_finds_an_application_by_number(admin_client, application, bob, provider, term):
    make_application(bob, [provider])
    value = {
        "receipt": application.receipt_number,
        "flets": application.line.flets_number,
        "customer": application.line.customer_id,
        "receipt_fullwidth": application.receipt_number.translate(
            str.maketrans("0123456789-", "０１２３４５６７８９－")
        ),
    }[term]

    response = admin_client.get(LIST, {"q": value})

    assert [a.pk for a in response.context["cl"].result_list] == [application.pk]


def test_it_filters_by_state_direction_and_mail_state(admin_client, application, bob, provider):
    other = make_application(bob, [provider], direction="stop", wants_mail=False, email="")
    other_state = {"state__exact": "received", "direction__exact": "stop"}

    by_state = admin_client.get(LIST, {"state__exact": "received"})
    by_direction = admin_client.get(LIST, other_state)
    by_mail = admin_client.get(LIST, {"mail_state__exact": "pending"})

    assert {a.pk for a in by_state.context["cl"].result_list} == {application.pk, other.pk}
    assert [a.pk for a in by_direction.context["cl"].result_list] == [other.pk]
    assert [a.pk for a in by_mail.context["cl"].result_list] == [application.pk]


def test_the_detail_is_read_only_with_items_and_history(
    admin_client, application, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10) as few:
        response = admin_client.get(change_url(application))
    bigger = make_application(make_line(), [make_provider() for _ in range(6)])
    run_due_work()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(change_url(bigger)).status_code == 200

    page = response.content.decode()
    assert response.status_code == 200
    assert "W0099" in page and "NTT西日本(試験用)" in page and "試験用" in page
    assert "山田太郎" in page and "taro@example.jp" in page
    assert 'name="applicant_name"' not in page, "nothing is editable"
    assert 'name="_save"' not in page
    assert response.context["has_change_permission"] is False
    history = response.context["inline_admin_formsets"][1]
    assert [form.original.state for form in history] == [State.RECEIVED]


def test_a_post_to_the_detail_changes_nothing(admin_client, application):
    response = admin_client.post(
        change_url(application), {"applicant_name": "別人", "state": "completed"}
    )

    assert response.status_code == 403
    application.refresh_from_db()
    assert (application.applicant_name, application.state) == ("山田太郎", State.RECEIVED)


def test_operators_cannot_add_or_delete_applications(admin_client, application):
    assert admin_client.get(reverse("admin:notification_application_add")).status_code == 403
    delete = reverse("admin:notification_application_delete", args=[application.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Application.objects.filter(pk=application.pk).exists()


def test_the_cancel_action_cancels_open_applications_only(admin_client, application, bob, provider):
    done = make_application(bob, [provider])
    run_due_work()

    response = act(admin_client, "cancel", application, done)

    application.refresh_from_db()
    done.refresh_from_db()
    assert application.state == State.CANCELLED
    assert done.state == State.COMPLETED
    assert application.events.last().note == "運用者 operator が取消"
    assert shown_messages(response) == [
        f"受付番号 {done.receipt_number} は既に完了です。",
        f"申込を取消しました (1件): {application.receipt_number}",
    ]
    assert LogEntry.objects.get().change_message == "申込を取消しました"


def test_the_apply_now_action_applies_through_the_same_service(admin_client, application):
    response = act(admin_client, "apply_now", application)

    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert NotificationSetting.objects.get(line=application.line).set_via == "申込受付ページ"
    assert shown_messages(response) == [f"工事を完了しました (1件): {application.receipt_number}"]
    assert mail.outbox == [], "the mail is the worker's step, after the commit"
    assert run_due_work().mails == 1
    assert len(mail.outbox) == 1


def test_the_apply_now_action_reports_a_failure(admin_client, application, provider):
    provider.active = False
    provider.save()

    response = act(admin_client, "apply_now", application)

    application.refresh_from_db()
    assert application.state == State.FAILED
    assert shown_messages(response) == [
        f"受付番号 {application.receipt_number} は工事に失敗しました: "
        "サービス提供者 W0099 は現在受付を停止しています。"
    ]


def test_the_retry_mail_action_only_resets_failed_mails(
    admin_client, alice, bob, provider, settings
):
    failed = make_application(alice, [provider], email="failed@example.jp")
    settings.EMAIL_BACKEND, FlakyBackend.failures = FLAKY, 1
    settings.WSO_MAIL_MAX_ATTEMPTS = 1
    run_due_work()
    sent = make_application(bob, [provider], email="sent@example.jp")
    run_due_work()
    failed.refresh_from_db()
    assert (failed.mail_state, [m.to for m in mail.outbox]) == (
        MailState.FAILED,
        [["sent@example.jp"]],
    )

    response = act(admin_client, "retry_mail", failed, sent)

    failed.refresh_from_db()
    assert (failed.mail_state, failed.mail_attempts) == (MailState.PENDING, 0)
    assert shown_messages(response) == [
        f"受付番号 {sent.receipt_number} の完了通知メールは送信済みのため再送できません。",
        f"完了通知メールを送信待ちに戻しました (1件): {failed.receipt_number}",
    ]
    assert run_due_work().mails == 1
    assert [m.to for m in mail.outbox] == [["sent@example.jp"], ["failed@example.jp"]]


def test_a_view_only_operator_sees_applications_but_cannot_act(client, application):
    viewer = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(viewer)

    page = client.get(LIST)
    response = act(client, "cancel", application)

    assert page.status_code == 200
    assert 'value="cancel"' not in page.content.decode()
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.state == State.RECEIVED
