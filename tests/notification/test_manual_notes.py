"""Every note the manual's screens carry (spec/screens.md, seed/wso-manual-ja.txt), word for word,
on the screen it belongs to, and only there."""

import pytest
from django.urls import reverse

from tests.factories import make_provider, set_notify

from .flow_helpers import agree, fill_applicant, start_notify, start_stop, step_url, submit

pytestmark = pytest.mark.django_db

IMMEDIATE_ON_CONFIRM = (
    "この画面での操作が「通知する」に反映された場合は、必ず通知先に対して即時通知となります。"
)
IMMEDIATE_ON_REGISTER = (
    "※この画面でお客さまが「通知する」に設定した場合は、当該通知先に対して即時通知となります。"
)
DECLARED = (
    "※「サービス名」、「サービス提供者名」は、サービス提供者からの申告に基づき表示しております。"
)


@pytest.fixture
def providers(alice):
    on = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, on)
    return on, make_provider(code="W0100")


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_it_warns_of_the_immediate_notice_on_the_notify_confirm_screen(
    alice_client, providers, agreement
):
    flow_id = start_notify(alice_client, providers[1])
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id)
    page = html(alice_client.get(step_url("confirm", flow_id)))
    assert "回線情報通知「通知」設定登録確認" in page
    assert IMMEDIATE_ON_CONFIRM in page
    # After the lead, before the table and 【変更】.
    assert page.index("「前画面へ戻る」ボタンをクリックしてください。") < page.index(
        IMMEDIATE_ON_CONFIRM
    )
    assert page.index(IMMEDIATE_ON_CONFIRM) < page.index("変更後")


def test_the_stop_confirm_screen_has_no_such_warning(alice_client, providers, agreement):
    flow_id = start_stop(alice_client, providers[0])
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id)
    page = html(alice_client.get(step_url("confirm", flow_id)))
    assert "回線情報通知 変更内容確認" in page
    assert IMMEDIATE_ON_CONFIRM not in page


def test_usage_detail_and_register_carry_their_notes(alice_client, providers):
    page = html(alice_client.get(reverse("notification:usage_detail")))
    assert DECLARED in page
    flow_id = start_notify(alice_client)
    page = html(alice_client.get(step_url("register", flow_id)))
    assert IMMEDIATE_ON_REGISTER in page and DECLARED in page


def test_the_consent_screen_carries_its_leads(alice_client, providers, agreement):
    flow_id = start_stop(alice_client, providers[0])
    page = html(alice_client.get(step_url("consent", flow_id)))
    for note in (
        "回線情報通知のご利用にあたりましては、以下の同意書に同意いただく必要があります。",
        "同意する場合、「同意する」ボタンを押し、通知設定登録のお申し込み手続きを行ってください。",
        "「同意しない」ボタンを押すと、お申し込み手続きせずにご利用状況詳細画面に戻ります。",
    ):
        assert note in page


def test_the_applicant_screen_carries_the_manuals_notes(alice_client, providers, agreement):
    flow_id = start_stop(alice_client, providers[0])
    agree(alice_client, flow_id, agreement)
    page = html(alice_client.get(step_url("applicant", flow_id)))
    for note in (
        "お申し込みされる方の情報を入力していただきます。必須項目入力後、「次へ」ボタンをクリックしてください。",
        "申込者情報を入力してください。",
        "回線情報通知に関する工事完了通知メールを送付いたします。",
        "（携帯電話のメールアドレスはご利用になれません。）",
        "本申し込みに関する工事は、概ね1時間程度となります。",
        "本申し込みに関する工事が完了したことをメールにてお知らせいたします。",
        "工事内容を正確にお知らせするため、一部お客様固有の情報が記載されます。",
        "※は必須項目です。必ずご入力ください。",
        "※ご入力の際は、各項目の入力ルール（全角・半角）に従って正確にご入力ください。",
    ):
        assert note in page, note


def test_the_receipt_carries_its_notes(alice_client, providers, agreement):
    flow_id = start_stop(alice_client, providers[0])
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id)
    page = html(alice_client.get(submit(alice_client, flow_id)["Location"]))
    assert "回線情報通知の申込を受け付けました。" in page
    assert (
        "お問い合わせの際などにこちらの画面に表示されている情報をお伺いすることがありますので、"
        "印刷するなどしてお手元に保存してください。"
    ) in page
