"""受付完了: the success in a confirmation panel, what happens next, 通知先への連絡 explained, and,
opened later from 申込履歴, no step indicator but a way back there."""

import pytest
from django.urls import reverse

from tests.factories import make_application, make_provider, set_notify

from .flow_helpers import agree, fill_applicant, start_stop, submit

pytestmark = pytest.mark.django_db

STEPS = 'aria-label="お申し込みの手順"'
BACK = 'data-testid="back-to-history"'


def receipt(client, application):
    response = client.get(reverse("notification:receipt", args=[application.receipt_number]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_ends_the_flow_with_its_steps_and_a_confirmation_panel(alice_client, alice, agreement):
    provider = make_provider(code="W0099")
    set_notify(alice, provider)
    flow_id = start_stop(alice_client, provider)
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id)
    url = submit(alice_client, flow_id)["Location"]
    html = alice_client.get(url).content.decode()
    assert STEPS in html and BACK not in html
    panel = html.split('data-testid="confirmation"')[1].split("</div>")[0]
    assert "回線情報通知の申込を受け付けました。" in panel
    number = url.rstrip("/").rsplit("/", 1)[1]
    assert f'<strong data-testid="receipt-number">{number}</strong>' in panel
    assert STEPS in alice_client.get(url).content.decode()  # a reload is still the flow's end

    alice_client.get(reverse("notification:history"))
    html = alice_client.get(url).content.decode()
    assert STEPS not in html
    assert f'href="{reverse("notification:history")}" {BACK}' in html


def test_opened_from_the_history_it_has_no_steps(alice_client, alice):
    html = receipt(alice_client, make_application(alice, [make_provider()]))
    assert STEPS not in html and BACK in html


def test_it_says_what_happens_next_while_received(alice_client, alice):
    application = make_application(alice, [make_provider()], email="taro@example.jp")
    html = receipt(alice_client, application)
    assert "今後の流れ" in html
    assert "ごろに行います（お申し込みから概ね1時間程度）。" in html
    assert (
        "ご連絡先メールアドレス（taro@example.jp）あてに工事完了通知メールをお送りします。" in html
    )
    assert "工事が始まるまでは、この画面の【申込を取り消す】ボタン" in html


def test_without_a_mail_it_says_none_is_sent(alice_client, alice):
    application = make_application(alice, [make_provider()], wants_mail=False, email="")
    assert "工事完了通知メールは、ご希望がなかったためお送りしません。" in receipt(
        alice_client, application
    )


def test_once_the_work_started_it_says_it_cannot_be_cancelled(alice_client, alice):
    application = make_application(alice, [make_provider()], state="in_progress")
    html = receipt(alice_client, application)
    assert "工事が始まっているため、このお申し込みは取り消すことができません。" in html


def test_once_done_there_is_nothing_next(alice_client, alice):
    html = receipt(alice_client, make_application(alice, [make_provider()], state="completed"))
    assert "今後の流れ" not in html


def test_it_explains_the_notice_column(alice_client, alice):
    html = receipt(alice_client, make_application(alice, [make_provider()]))
    note = html.split('data-testid="notice-explained">')[1].split("</p>")[0]
    assert note.startswith("「通知先への連絡」:")
    assert "「済」" in note and "「未」" in note and "「－」" in note
