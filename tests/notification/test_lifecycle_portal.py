"""What the subscriber sees during and after the 工事: top page, usage detail, 申込履歴."""

import re
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from notification.models import Application
from notification.services import Applicant, submit_application
from notification.work import cancel_application
from tests.factories import make_provider, set_notify

TOP = reverse("portal:top")


def top_status(client) -> str:
    html = client.get(TOP).content.decode()
    found = re.search(r'data-testid="status-line-notification">([^<]*)<', html)
    assert found, "the 回線情報通知機能 row is on the top page"
    return found.group(1).strip()


def history_states(client) -> list[str]:
    html = client.get(reverse("notification:history")).content.decode()
    return re.findall(r'<td class="status"[^>]*>([^<]*)</td>', html)


def submit(line, agreement, direction, providers, *, wants_mail=True):
    return submit_application(
        line=line,
        direction=direction,
        provider_ids=[p.pk for p in providers],
        applicant=Applicant(
            name="山田太郎",
            phone="090-1234-5678",
            email="taro@example.jp" if wants_mail else "",
            wants_completion_mail=wants_mail,
        ),
        agreement_version=agreement,
        agreed_at=timezone.now(),
        token=uuid.uuid4(),
    )


@pytest.fixture
def immediate(settings):
    settings.WSO_WORK_DELAY = 0


@pytest.fixture
def providers(db):
    return [make_provider(code="W0099", name="NTT西日本(試験用)"), make_provider(code="A0001")]


def test_switching_on_shows_登録中_until_the_work_then_通知(
    alice_client, alice, agreement, providers, immediate
):
    assert top_status(alice_client) == "---"
    submit(alice, agreement, "notify", providers[:1])
    assert top_status(alice_client) == "登録中"
    assert history_states(alice_client) == ["受付"]

    call_command("worker", "--once")

    assert top_status(alice_client) == "通知"
    assert history_states(alice_client) == ["完了"]
    detail = alice_client.get(reverse("notification:usage_detail")).content.decode()
    assert "W0099" in detail
    assert re.search(r'<td class="status"[^>]*>通知する</td>', detail)
    assert not re.search(r'<td class="status"[^>]*>工事中</td>', detail)
    today = timezone.localdate().strftime("%Y/%m/%d")
    assert today in detail and "申込受付ページ" in detail
    assert len(mail.outbox) == 1


def test_switching_off_shows_変更中_and_工事中_then_nothing_left(
    alice_client, alice, agreement, providers, immediate
):
    for provider in providers:
        set_notify(alice, provider)
    submit(alice, agreement, "stop", providers)
    assert top_status(alice_client) == "変更中"
    detail = alice_client.get(reverse("notification:usage_detail")).content.decode()
    assert "工事中のお申し込み" in detail
    detail = detail.split('data-testid="pending-table"')[0]  # the 通知する table alone
    assert len(re.findall(r'<td class="status"[^>]*>工事中</td>', detail)) == 2

    call_command("worker", "--once")

    assert top_status(alice_client) == "---"
    assert history_states(alice_client) == ["完了"]


def test_one_provider_still_notified_shows_通知_after_switching_another_off(
    alice_client, alice, agreement, providers, immediate
):
    for provider in providers:
        set_notify(alice, provider)
    submit(alice, agreement, "stop", providers[:1])

    call_command("worker", "--once")

    assert top_status(alice_client) == "通知"


def test_a_cancelled_application_leaves_the_status_as_it_was(
    alice_client, alice, agreement, providers, operator
):
    application = submit(alice, agreement, "notify", providers)
    assert top_status(alice_client) == "登録中"

    cancel_application(application.pk, by=operator.username)
    call_command("worker", "--once")

    assert top_status(alice_client) == "---"
    assert history_states(alice_client) == ["取消"]
    application.refresh_from_db()
    assert application.state == Application.State.CANCELLED
    assert mail.outbox == []
