"""受付完了 in Chromium: the confirmation panel, what happens next, the three tables aligned at
desktop and phone width, and the receipt opened again from 申込履歴."""

from playwright.sync_api import expect

from tests.factories import make_provider, set_notify

from .conftest import DESKTOP, PHONE
from .helpers import E2E, KEY, apply, heading, log_in, open_usage_detail

pytestmark = E2E

KEY_TABLES = ("receipt-summary", "applicant-table", "consent-summary")


def first_columns(page) -> list[tuple[float, float]]:
    """Where each key table's first column starts and how wide it is."""
    return [
        page.get_by_test_id(name)
        .locator("tbody tr")
        .first.locator("th")
        .evaluate("th => { const r = th.getBoundingClientRect(); return [r.left, r.width]; }")
        for name in KEY_TABLES
    ]


def test_the_receipt_confirms_says_what_is_next_and_aligns_its_tables(page, alice, screens):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    apply(page, [provider], to="通知しない")

    panel = page.get_by_test_id("confirmation")
    expect(panel).to_contain_text("回線情報通知の申込を受け付けました。")
    number = page.get_by_test_id("receipt-number").inner_text()
    expect(panel).to_contain_text(number)
    expect(page.get_by_role("heading", name="今後の流れ")).to_be_visible()
    expect(page.get_by_test_id("next-steps")).to_contain_text("taro@example.jp")
    expect(page.get_by_test_id("notice-explained")).to_be_visible()
    expect(page.get_by_role("list", name="お申し込みの手順")).to_be_visible()
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        columns = first_columns(page)
        assert all(c == columns[0] for c in columns), (viewport, columns)
    page.set_viewport_size(DESKTOP)
    screens.check("receipt-confirmation")

    page.get_by_role("link", name="申込履歴").first.click()
    page.get_by_role("link", name=number).click()
    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    expect(page.get_by_role("list", name="お申し込みの手順")).to_have_count(0)
    page.get_by_role("link", name="申込履歴へ戻る").click()
    expect(heading(page)).to_have_text("申込履歴")
    screens.assert_clean()
