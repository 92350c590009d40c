"""The two change flows of the manual, walked in Chromium by the labels on the screens."""

import re

from django.core import mail
from playwright.sync_api import expect

from notification.models import Application, Direction
from notification.work import run_due_work
from tests.factories import make_provider, set_notify

from .helpers import (
    E2E,
    KEY,
    field,
    fill_applicant,
    heading,
    log_in,
    open_usage_detail,
    provider_row,
    tick,
)

pytestmark = E2E


def test_flow_a_switches_a_provider_to_tsuchi_shinai(page, alice):
    test_provider = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    other = make_provider(code="W0100", name="光電話サービス株式会社")
    set_notify(alice, test_provider)
    set_notify(alice, other)
    log_in(page, alice, KEY)

    open_usage_detail(page)
    expect(heading(page)).to_have_text("回線情報通知 ご利用状況詳細")
    expect(provider_row(page, test_provider)).to_contain_text("W0099")
    tick(page, test_provider)
    page.get_by_role("button", name="「通知しない」に設定").click()

    expect(heading(page)).to_have_text("同意書のご確認")
    page.get_by_role("button", name="同意する").click()

    expect(heading(page)).to_have_text("申込者情報入力")
    fill_applicant(page)
    page.get_by_role("button", name="次へ").click()

    expect(heading(page)).to_have_text("回線情報通知 変更内容確認")
    expect(provider_row(page, test_provider)).to_contain_text("通知しない")
    expect(provider_row(page, other)).to_have_count(0)
    expect(page.get_by_text("山田太郎")).to_be_visible()
    page.get_by_role("button", name="変更").click()

    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    expect(page.get_by_text("回線情報通知の申込を受け付けました。")).to_be_visible()
    application = Application.objects.get(line=alice)
    expect(page.get_by_text(application.receipt_number)).to_be_visible()
    assert application.direction == Direction.STOP
    assert [i.provider_id for i in application.items.all()] == [test_provider.pk]
    assert application.wants_completion_mail

    page.goto("/")
    expect(page.get_by_role("row").filter(has_text="回線情報通知機能")).to_contain_text("変更中")
    open_usage_detail(page)
    expect(provider_row(page, test_provider)).to_contain_text("工事中")
    expect(provider_row(page, test_provider).get_by_role("checkbox")).to_be_disabled()

    # The 工事, done by the worker's own code when it is due.
    assert run_due_work(now=application.due_at).handled == 1
    page.reload()
    expect(provider_row(page, test_provider)).to_have_count(0)
    expect(provider_row(page, other)).to_contain_text("通知する")
    assert [m.to for m in mail.outbox] == [["taro@example.jp"]]
    page.get_by_role("link", name="申込履歴").click()
    expect(page.get_by_role("row").filter(has_text=application.receipt_number)).to_contain_text(
        "完了"
    )


def test_flow_b_switches_a_provider_to_tsuchi_suru(page, alice):
    providers = [make_provider(name=f"事業者{n}") for n in range(3)]
    log_in(page, alice, KEY)

    open_usage_detail(page)
    page.get_by_role("button", name="通知先追加").or_(
        page.get_by_role("link", name="通知先追加")
    ).click()

    expect(heading(page)).to_have_text("回線情報通知「通知」設定登録")
    expect(page.get_by_text("件数: 3件")).to_be_visible()
    tick(page, providers[1])
    page.get_by_role("button", name="「通知する」に設定").click()

    expect(heading(page)).to_have_text("同意書のご確認")
    page.get_by_role("button", name="同意する").click()
    fill_applicant(page, email="", wants_mail=False)
    page.get_by_role("button", name="次へ").click()

    expect(heading(page)).to_have_text("回線情報通知「通知」設定登録確認")
    expect(provider_row(page, providers[1])).to_contain_text("通知する")
    page.get_by_role("button", name="変更").click()

    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    application = Application.objects.get(line=alice)
    assert application.direction == Direction.NOTIFY
    assert [i.provider_id for i in application.items.all()] == [providers[1].pk]
    assert not application.wants_completion_mail

    page.goto("/")
    expect(page.get_by_role("row").filter(has_text="回線情報通知機能")).to_contain_text("登録中")


def test_doui_shinai_goes_back_and_applies_nothing(page, alice):
    provider = make_provider()
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()

    page.get_by_role("button", name="同意しない").or_(
        page.get_by_role("link", name="同意しない")
    ).click()

    expect(heading(page)).to_have_text("回線情報通知 ご利用状況詳細")
    assert not Application.objects.exists()
    assert alice.notification_settings.get().notify


def test_a_validation_error_is_shown_and_fixed_on_the_applicant_screen(page, alice):
    provider = make_provider()
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()
    page.get_by_role("button", name="同意する").click()

    fill_applicant(page, name="", phone="12345", email="taro@docomo.ne.jp")
    page.get_by_role("button", name="次へ").click()

    expect(heading(page)).to_have_text("申込者情報入力")
    name, phone, email = (
        field(page, "お名前"),
        field(page, "ご連絡先電話番号"),
        field(page, "ご連絡先メールアドレス"),
    )
    expect(phone).to_have_value("12345")
    expect(email).to_have_value("taro@docomo.ne.jp")
    for control in (name, phone, email):
        expect(control).to_have_attribute("aria-invalid", "true")
    # The message sits next to its field and is read out with it.
    expect(name).to_have_accessible_description(re.compile("お名前を入力してください"))
    expect(phone).to_have_accessible_description(re.compile("10桁または11桁"))
    expect(email).to_have_accessible_description(re.compile("携帯電話のメールアドレス"))
    assert not Application.objects.exists()

    name.fill("山田太郎")
    phone.fill("090-1234-5678")
    email.fill("taro@example.jp")
    page.get_by_role("button", name="次へ").click()

    expect(heading(page)).to_have_text("回線情報通知 変更内容確認")
    expect(page.get_by_text("090-1234-5678")).to_be_visible()


def test_zenkamen_e_modoru_returns_to_the_applicant_screen_with_the_input_kept(page, alice):
    provider = make_provider()
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()
    page.get_by_role("button", name="同意する").click()
    fill_applicant(page, name="佐藤花子", phone="0312345678", email="", wants_mail=False)
    page.get_by_role("button", name="次へ").click()
    expect(heading(page)).to_have_text("回線情報通知 変更内容確認")

    page.get_by_role("button", name="前画面へ戻る").or_(
        page.get_by_role("link", name="前画面へ戻る")
    ).click()

    expect(heading(page)).to_have_text("申込者情報入力")
    expect(field(page, "お名前")).to_have_value("佐藤花子")
    expect(field(page, "ご連絡先電話番号")).to_have_value(re.compile(r"^03-?1234-?5678$"))
    expect(field(page, "希望しない", exact=True)).to_be_checked()
    assert not Application.objects.exists()

    page.get_by_role("button", name="次へ").click()
    page.get_by_role("button", name="変更").click()
    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    assert Application.objects.get().applicant_name == "佐藤花子"


def test_paging_on_the_registration_screen_keeps_the_ticks(page, alice, settings):
    settings.WSO_PROVIDERS_PER_PAGE = 2
    providers = [make_provider(name=f"通知先候補{n}") for n in range(5)]
    log_in(page, alice, KEY)
    open_usage_detail(page)
    page.get_by_role("button", name="通知先追加").or_(
        page.get_by_role("link", name="通知先追加")
    ).click()
    checkbox = {p.pk: provider_row(page, p).get_by_role("checkbox") for p in providers}

    expect(page.get_by_text("件数: 5件")).to_be_visible()
    expect(page.get_by_text("(ページ: 1/3ページ)")).to_be_visible()
    expect(provider_row(page, providers[2])).to_have_count(0)
    tick(page, providers[0])

    page.get_by_role("button", name="次のページ").click()
    expect(page.get_by_text("(ページ: 2/3ページ)")).to_be_visible()
    expect(provider_row(page, providers[0])).to_have_count(0)
    tick(page, providers[3])

    page.get_by_role("button", name="3ページ").click()
    expect(page.get_by_text("(ページ: 3/3ページ)")).to_be_visible()
    expect(checkbox[providers[4].pk]).not_to_be_checked()
    page.get_by_role("button", name="前のページ").click()
    expect(checkbox[providers[3].pk]).to_be_checked()
    expect(checkbox[providers[2].pk]).not_to_be_checked()
    page.get_by_role("button", name="1ページ").click()
    expect(checkbox[providers[0].pk]).to_be_checked()

    page.get_by_role("button", name="「通知する」に設定").click()
    page.get_by_role("button", name="同意する").click()
    fill_applicant(page)
    page.get_by_role("button", name="次へ").click()
    expect(heading(page)).to_have_text("回線情報通知「通知」設定登録確認")
    for n in (0, 3):
        expect(provider_row(page, providers[n])).to_contain_text("通知する")
    for n in (1, 2, 4):
        expect(provider_row(page, providers[n])).to_have_count(0)
    page.get_by_role("button", name="変更").click()

    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    items = Application.objects.get(line=alice).items.order_by("provider__code")
    assert [i.provider_id for i in items] == [providers[0].pk, providers[3].pk]


def test_a_double_click_on_henkou_makes_one_application(page, alice):
    provider = make_provider()
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()
    page.get_by_role("button", name="同意する").click()
    fill_applicant(page)
    page.get_by_role("button", name="次へ").click()

    page.get_by_role("button", name="変更").dblclick()

    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    page.reload()
    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    assert Application.objects.filter(line=alice).count() == 1
