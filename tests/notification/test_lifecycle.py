"""The 工事 lifecycle services: apply, fail, cancel (on whichever database the run uses)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notification.models import Application, ApplicationItem, NotificationSetting
from notification.work import (
    NotOpen,
    apply_next_due,
    apply_now,
    cancel_application,
    run_due_work,
)
from tests.factories import make_application, make_provider, set_notify

State = Application.State


def events(application):
    return list(application.events.values_list("state", flat=True))


@pytest.fixture
def providers(db):
    return [make_provider(code="W0099", name="NTT西日本(試験用)"), make_provider(code="A0001")]


def test_it_applies_a_due_application_once(alice, providers):
    application = make_application(alice, providers)

    handled = apply_next_due()

    assert handled == application
    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert application.started_at == application.completed_at
    assert events(application) == [State.RECEIVED, State.IN_PROGRESS, State.COMPLETED]
    settings = NotificationSetting.objects.filter(line=alice).order_by("provider__code")
    assert [(s.provider.code, s.notify) for s in settings] == [("A0001", True), ("W0099", True)]
    assert all(s.set_at == application.completed_at for s in settings)
    assert all(s.set_via == "申込受付ページ" for s in settings)
    assert not ApplicationItem.objects.filter(application=application, is_open=True).exists()
    assert application.mail_next_attempt_at == application.completed_at

    assert apply_next_due() is None
    assert events(application) == [State.RECEIVED, State.IN_PROGRESS, State.COMPLETED]


def test_it_switches_existing_settings_off(alice, providers):
    earlier = timezone.now() - timedelta(days=30)
    for provider in providers:
        set_notify(alice, provider, set_at=earlier, set_via="オペレータ")
    application = make_application(alice, providers[:1], direction="stop")

    apply_next_due()

    application.refresh_from_db()
    off = NotificationSetting.objects.get(line=alice, provider=providers[0])
    untouched = NotificationSetting.objects.get(line=alice, provider=providers[1])
    assert (off.notify, off.set_at, off.set_via) == (
        False,
        application.completed_at,
        "申込受付ページ",
    )
    assert (untouched.notify, untouched.set_at, untouched.set_via) == (True, earlier, "オペレータ")


def test_it_leaves_applications_not_yet_due(alice, providers):
    application = make_application(alice, providers, due_in=3600)

    assert run_due_work().handled == 0

    application.refresh_from_db()
    assert application.state == State.RECEIVED
    assert events(application) == [State.RECEIVED]
    assert not NotificationSetting.objects.exists()
    assert application.items.filter(is_open=True).count() == 2


def test_it_takes_due_applications_oldest_first_and_only_those(alice, bob, providers):
    later = make_application(alice, providers[:1], due_in=-10)
    first = make_application(bob, providers[:1], due_in=-20)
    waiting = make_application(alice, providers[1:], due_in=600)

    assert apply_next_due() == first
    assert apply_next_due() == later
    assert apply_next_due() is None
    waiting.refresh_from_db()
    assert waiting.state == State.RECEIVED


def test_it_fails_with_a_reason_when_a_provider_was_deactivated(alice, providers):
    application = make_application(alice, providers)
    providers[1].active = False
    providers[1].save()

    apply_next_due()

    application.refresh_from_db()
    assert application.state == State.FAILED
    assert application.failure_reason == "サービス提供者 A0001 は現在受付を停止しています。"
    assert application.failed_at is not None and application.completed_at is None
    assert events(application) == [State.RECEIVED, State.IN_PROGRESS, State.FAILED]
    assert application.events.last().note == application.failure_reason
    assert not NotificationSetting.objects.exists(), "nothing half applied"
    assert not application.items.filter(is_open=True).exists(), "providers are free again"
    assert application.mail_state == Application.MailState.NOT_REQUESTED
    assert application.wants_completion_mail


def test_it_records_a_failure_and_goes_on_with_the_next(alice, bob, providers):
    broken = make_application(alice, providers[:1], due_in=-20)
    broken.items.all().delete()
    fine = make_application(bob, providers[:1], due_in=-10)

    done = run_due_work()

    assert done.handled == 2
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.state, broken.failure_reason) == (State.FAILED, "申込明細がありません。")
    assert fine.state == State.COMPLETED


def test_it_keeps_switching_off_even_for_an_inactive_provider(alice, providers):
    set_notify(alice, providers[0])
    providers[0].active = False
    providers[0].save()
    application = make_application(alice, providers[:1], direction="stop")

    apply_next_due()

    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert not NotificationSetting.objects.get(line=alice, provider=providers[0]).notify


def test_it_cancels_an_open_application(alice, providers):
    application = make_application(alice, providers)

    cancel_application(application.pk, by="operator")

    application.refresh_from_db()
    assert application.state == State.CANCELLED
    assert application.cancelled_at is not None
    assert events(application) == [State.RECEIVED, State.CANCELLED]
    assert application.events.last().note == "運用者 operator が取消"
    assert not application.items.filter(is_open=True).exists()
    assert apply_next_due() is None
    assert not NotificationSetting.objects.exists()
    # The providers can be applied for again.
    again = make_application(alice, providers)
    assert again.items.filter(is_open=True).count() == 2


def test_it_refuses_to_cancel_once_applied(alice, providers):
    application = make_application(alice, providers)
    apply_next_due()

    with pytest.raises(NotOpen, match="既に完了です"):
        cancel_application(application.pk, by="operator")

    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert events(application)[-1] == State.COMPLETED


def test_apply_now_does_not_wait_for_due_at(alice, providers):
    application = make_application(alice, providers, due_in=3600)

    apply_now(application.pk, by="operator")

    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert (
        application.events.get(state=State.IN_PROGRESS).note == "運用者 operator が今すぐ工事を実行"
    )
    with pytest.raises(NotOpen):
        apply_now(application.pk, by="operator")
    assert events(application).count(State.COMPLETED) == 1
