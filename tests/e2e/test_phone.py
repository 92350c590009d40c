"""The screens at 375 px in Chromium: rows become cards, so every column that matters is on
screen (設定日, 設定方法, 工事中 on ご利用状況詳細; 状態 on 申込履歴), no heading wraps one
character a line, and each tick box is a target of at least 44 × 44 px named by its row."""

from playwright.sync_api import expect

from tests.factories import make_application, make_disclosure, make_provider, set_notify

from .conftest import PHONE, PHONE_WIDTH
from .helpers import E2E, KEY, apply, log_in, open_usage_detail, provider_row

pytestmark = E2E


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH + 0.5


def test_the_columns_that_matter_are_on_a_phones_screen(page, alice, screens):
    notified, in_work = make_provider(code="W0099"), make_provider(code="W0100")
    set_notify(alice, notified)
    set_notify(alice, in_work)
    make_application(alice, [in_work], direction="stop")
    page.set_viewport_size(PHONE)
    log_in(page, alice, KEY)
    open_usage_detail(page)

    row = provider_row(page, notified)
    for text in ("通知する", "申込受付ページ"):
        expect(row.get_by_text(text, exact=True)).to_be_visible()
        assert on_screen(row.get_by_text(text, exact=True)), text
    assert on_screen(row.locator("td").nth(4))  # 設定日
    greyed = provider_row(page, in_work)
    assert on_screen(greyed.get_by_text("工事中", exact=True))
    expect(row.get_by_text("設定日")).to_have_count(0)  # a column's name, not the row's text

    box = row.get_by_role("checkbox", name=f"{notified.code} {notified.name}")
    target = row.locator("label.tick").bounding_box()
    assert target["width"] >= 44 and target["height"] >= 44, target
    row.locator("label.tick").click(position={"x": 2, "y": 2})  # the edge of the target
    expect(box).to_be_checked()
    screens.check("phone-usage-detail")

    page.get_by_role("link", name="申込履歴").first.click()
    page.set_viewport_size(PHONE)  # the checks end at desktop width
    history_row = page.get_by_role("row").filter(has_text="通知しない")
    assert on_screen(history_row.locator("td.status"))
    screens.check("phone-history")

    make_disclosure(alice, notified)
    page.goto("/disclosures/")
    page.set_viewport_size(PHONE)
    disclosed = provider_row(page, notified)
    for cell in disclosed.locator("td").all():
        assert on_screen(cell), cell.inner_text()  # 最終提供日時 and 提供回数 too
    screens.assert_clean()


def test_the_receipts_headings_never_wrap_a_character_a_line(page, alice, screens):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    apply(page, [provider], to="通知しない")
    page.set_viewport_size(PHONE)
    table = page.get_by_test_id("providers-table")
    for cell in table.locator("td").all():
        box = cell.bounding_box()
        assert box["width"] > 100, (cell.inner_text(), box)
    screens.check("phone-receipt")
    screens.assert_clean()
