"""Both change flows end to end through the test client."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import Acceptance
from notification.models import Application, ApplicationEvent, ApplicationItem, Direction
from tests.factories import make_provider, set_notify

from .flow_helpers import (
    VALID_APPLICANT,
    agree,
    fill_applicant,
    start_notify,
    start_stop,
    step_url,
    submit,
)

pytestmark = pytest.mark.django_db


def test_it_switches_two_providers_off_from_usage_detail_to_receipt(
    alice_client, alice, agreement, settings
):
    settings.WSO_WORK_DELAY = 3600
    p1 = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    p2 = make_provider(code="W0100")
    keep = make_provider(code="W0101")
    for p in (p1, p2, keep):
        set_notify(alice, p)

    page = alice_client.get(reverse("notification:usage_detail"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "回線情報通知 ご利用状況詳細" in html
    assert "W0099 NTT西日本(試験用)" in html
    assert "「通知しない」に設定" in html and "通知先追加" in html

    flow_id = start_stop(alice_client, p1, p2)
    consent = alice_client.get(step_url("consent", flow_id))
    assert "同意する" in consent.content.decode()
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id)
    confirm = alice_client.get(step_url("confirm", flow_id))
    html = confirm.content.decode()
    assert "回線情報通知 変更内容確認" in html
    assert "W0099 NTT西日本(試験用)" in html and "W0100" in html and "W0101" not in html
    assert "西日本　太郎" in html  # the half-width space became full-width

    before = timezone.now()
    response = submit(alice_client, flow_id)
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "notification:receipt", kwargs={"receipt_number": application.receipt_number}
    )
    assert application.line == alice
    assert application.direction == Direction.STOP
    assert application.state == Application.State.RECEIVED
    assert application.applicant_name == "西日本　太郎"
    assert application.applicant_phone == "06-1234-5678"
    assert application.applicant_email == "taro@example.jp"
    assert application.wants_completion_mail is True
    assert application.mail_state == Application.MailState.PENDING
    assert application.agreement_version == agreement
    assert before - timedelta(seconds=5) <= application.received_at <= timezone.now()
    assert application.due_at == application.received_at + timedelta(seconds=3600)
    assert application.receipt_number[:8] == timezone.localtime(application.received_at).strftime(
        "%Y%m%d"
    )
    assert len(application.receipt_number) == 15 and application.receipt_number[8] == "-"
    items = ApplicationItem.objects.filter(application=application)
    assert {i.provider_id for i in items} == {p1.pk, p2.pk}
    assert all(i.is_open and i.line_id == alice.pk for i in items)
    event = ApplicationEvent.objects.get(application=application)
    assert event.state == Application.State.RECEIVED
    acceptance = Acceptance.objects.get(line=alice)
    assert acceptance.version == agreement
    assert acceptance.accepted_at == application.agreed_at

    receipt = alice_client.get(response["Location"])
    html = receipt.content.decode()
    assert "回線情報通知 変更受付完了" in html
    assert application.receipt_number in html
    assert alice.customer_id in html
    local = timezone.localtime(application.received_at)
    assert local.strftime("%Y年%m月%d日 %H時%M分%S秒") in html
    assert "回線情報通知の申込を受け付けました。" in html
    assert "印刷するなどしてお手元に保存してください。" in html
    assert "画面印刷（保存）" in html
    assert "通知設定" in html and "通知しない" in html

    # The providers now in 工事 are shown as such and can no longer be ticked.
    detail = alice_client.get(reverse("notification:usage_detail")).content.decode()
    detail = detail.split('data-testid="pending-table"')[0]  # the 通知する table alone
    assert detail.count("工事中</td>") == 2
    assert f'name="provider" value="{p1.pk}"' not in detail
    assert f'name="provider" value="{keep.pk}"' in detail


def test_it_switches_a_provider_on_through_register(alice_client, alice, agreement):
    on = make_provider(code="W0200", service_name="IP電話")
    already = make_provider(code="W0201")
    set_notify(alice, already)
    off_row = make_provider(code="W0202")
    set_notify(alice, off_row, notify=False)

    response = alice_client.post(reverse("notification:usage_detail"), {"action": "add"})
    register_url = response["Location"]
    page = alice_client.get(register_url).content.decode()
    assert "回線情報通知「通知」設定登録" in page
    assert "件数: 2件" in page and "(ページ: 1/1ページ)" in page
    assert "W0200" in page and "W0202" in page and "W0201" not in page
    assert (
        "※この画面でお客さまが「通知する」に設定した場合は、当該通知先に対して即時通知となります。"
        in page
    )

    flow_id = start_notify(alice_client, on)
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id, email="", wants_completion_mail="no")
    confirm = alice_client.get(step_url("confirm", flow_id)).content.decode()
    assert "回線情報通知「通知」設定登録確認" in confirm
    response = submit(alice_client, flow_id)
    application = Application.objects.get()
    assert response["Location"].endswith(f"/applications/{application.receipt_number}/")
    assert application.direction == Direction.NOTIFY
    assert application.mail_state == Application.MailState.NOT_REQUESTED
    assert application.applicant_email == ""
    assert list(application.items.values_list("provider__code", flat=True)) == ["W0200"]


def test_it_follows_the_whole_redirect_chain(alice_client, alice, agreement):
    provider = make_provider()
    set_notify(alice, provider)
    response = alice_client.post(
        reverse("notification:usage_detail"),
        {"action": "stop", "provider": [provider.pk]},
        follow=True,
    )
    flow_id = response.redirect_chain[-1][0].split("/")[3]
    assert response.redirect_chain == [(step_url("consent", flow_id), 302)]
    response = alice_client.post(
        step_url("consent", flow_id),
        {"action": "agree", "version": str(agreement.pk)},
        follow=True,
    )
    assert response.redirect_chain == [(step_url("applicant", flow_id), 302)]
    response = alice_client.post(step_url("applicant", flow_id), VALID_APPLICANT, follow=True)
    assert response.redirect_chain == [(step_url("confirm", flow_id), 302)]
    response = alice_client.post(step_url("confirm", flow_id), follow=True)
    number = Application.objects.get().receipt_number
    assert response.redirect_chain == [
        (reverse("notification:receipt", kwargs={"receipt_number": number}), 302)
    ]
    assert response.status_code == 200
