"""The manual's warning on the 通知する confirm screen and the read-only service detail pages,
in Chromium at both widths (axe-clean)."""

import re

from playwright.sync_api import expect

from tests.factories import make_provider

from .helpers import E2E, KEY, fill_applicant, heading, log_in, open_usage_detail, tick

pytestmark = E2E

WARNING = "この画面での操作が「通知する」に反映された場合は、必ず通知先に対して即時通知となります。"


def test_the_notify_confirm_screen_warns_of_the_immediate_notice(page, alice, screens):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    log_in(page, alice, KEY)
    open_usage_detail(page)
    page.get_by_role("button", name="通知先追加").click()
    tick(page, provider)
    page.get_by_role("button", name="「通知する」に設定").click()
    page.get_by_role("button", name="同意する").click()
    fill_applicant(page)
    page.get_by_role("button", name="次へ").click()
    expect(heading(page)).to_have_text("回線情報通知「通知」設定登録確認")
    warning = page.get_by_test_id("notify-warning")
    expect(warning).to_have_text(WARNING)
    above = warning.evaluate("el => el.getBoundingClientRect().top")
    change = page.get_by_role("button", name="変更", exact=True)
    assert above < change.evaluate("el => el.getBoundingClientRect().top")
    screens.check("confirm-notify-warning")
    screens.assert_clean()


def test_a_service_detail_page_agrees_with_itself_and_links_the_other_menu(page, alice, screens):
    log_in(page, alice, KEY)
    page.get_by_role("row").filter(has_text="フレッツナンバー").get_by_role(
        "link", name=re.compile("詳細・変更")
    ).click()
    expect(page.get_by_test_id("service-status")).to_have_text("通知")
    expect(page.get_by_test_id("standard-feature")).to_be_visible()
    expect(page.get_by_text("このサービスのご契約はありません。")).to_have_count(0)
    link = page.get_by_role("link", name="フレッツ公式ホームページ")
    expect(link).to_have_attribute("href", "https://flets-w.com/")
    screens.check("service-detail-standard")

    page.goto("/services/vpn-wide/")
    expect(page.get_by_test_id("no-contract")).to_be_visible()
    expect(page.get_by_role("link", name="フレッツ公式ホームページ")).to_be_visible()
    screens.check("service-detail-uncontracted")
    screens.assert_clean()
