"""申込取消 in a browser: apply, then from 申込履歴 cancel before the 工事; the provider can be
picked again at once. Every screen axe-clean at desktop and phone width."""

from playwright.sync_api import expect

from notification.models import Application
from tests.factories import make_provider, set_notify

from .helpers import E2E, KEY, apply, heading, log_in, open_usage_detail, provider_row

pytestmark = E2E


def test_cancel_before_the_work_from_the_history(page, alice, screens):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    set_notify(alice, make_provider(code="W0100", name="光電話サービス株式会社"))
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    apply(page, [provider], to="通知しない")
    application = Application.objects.get(line=alice)
    number = application.receipt_number

    open_usage_detail(page)
    expect(provider_row(page, provider)).to_contain_text("工事中")
    expect(provider_row(page, provider).get_by_role("checkbox")).to_be_disabled()

    page.get_by_role("contentinfo").get_by_role("link", name="申込履歴").click()
    expect(heading(page)).to_have_text("申込履歴")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("受付")
    row.get_by_role("link", name=number).click()

    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    expect(page.get_by_test_id("state")).to_have_text("受付")
    page.get_by_role("link", name="申込を取り消す").click()

    expect(heading(page)).to_have_text("申込取消の確認")
    expect(page.get_by_text("取り消したお申し込みは元に戻すことができません。")).to_be_visible()
    expect(page.get_by_test_id("receipt-number")).to_have_text(number)
    expect(provider_row(page, provider)).to_contain_text("通知しない")
    screens.check("cancel-confirm")

    # 受付内容へ戻る leads back without a change; then the cancel for real.
    page.get_by_role("link", name="受付内容へ戻る").click()
    expect(heading(page)).to_have_text("回線情報通知 変更受付完了")
    expect(page.get_by_test_id("state")).to_have_text("受付")
    page.get_by_role("link", name="申込を取り消す").click()
    page.get_by_role("button", name="取り消す", exact=True).click()

    expect(heading(page)).to_have_text("申込履歴")
    expect(page.get_by_text(f"受付番号 {number} のお申し込みを取り消しました。")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=number).locator(".status")).to_have_text("取消")
    screens.check("cancel-done-history")
    application.refresh_from_db()
    assert application.state == Application.State.CANCELLED

    page.get_by_role("row").filter(has_text=number).get_by_role("link", name=number).click()
    expect(page.get_by_test_id("state")).to_have_text("取消")
    expect(page.get_by_role("link", name="申込を取り消す")).to_have_count(0)

    open_usage_detail(page)
    expect(provider_row(page, provider)).to_contain_text("通知する")
    expect(provider_row(page, provider).get_by_role("checkbox")).to_be_enabled()
    apply(page, [provider], to="通知しない")  # picked again at once
    assert Application.objects.filter(line=alice).count() == 2
    screens.assert_clean()
