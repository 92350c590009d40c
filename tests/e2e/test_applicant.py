"""申込者情報入力 in Chromium, GOV.UK-style: the error summary's links take the user to each field,
every bad character is named, and the page is axe-clean with errors at both widths."""

from playwright.sync_api import expect

from tests.factories import make_provider, set_notify

from .helpers import E2E, KEY, field, heading, log_in, open_usage_detail, tick

pytestmark = E2E


def test_the_error_summary_links_to_the_fields(page, alice, screens):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()
    page.get_by_role("button", name="同意する").click()
    expect(heading(page)).to_have_text("申込者情報入力")
    expect(page.get_by_role("group", name="※工事完了通知を希望されますか?")).to_be_visible()

    field(page, "お名前").fill("髙橋～太郎")
    page.get_by_role("button", name="次へ").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(3)
    message = "次の文字は使えません: 髙（「高」をお使いください）、～"
    summary.get_by_role("link", name=message).click()
    expect(field(page, "お名前")).to_be_focused()
    expect(field(page, "お名前")).to_have_value("髙橋～太郎")
    summary.get_by_role("link", name="ご連絡先電話番号を入力してください。").click()
    expect(field(page, "ご連絡先電話番号")).to_be_focused()
    summary.get_by_role("link", name="工事完了通知を希望されるかどうかを選択してください。").click()
    expect(field(page, "希望する", exact=True)).to_be_focused()
    screens.check("applicant-errors")
    screens.assert_clean()
