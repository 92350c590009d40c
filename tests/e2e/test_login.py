"""ログイン, the top page, ログアウト and the lock after repeated failures, in Chromium."""

import re

from playwright.sync_api import expect

from tests.factories import make_line, make_provider, set_notify

from .helpers import E2E, log_in

pytestmark = E2E

KEY = "ABCD2345"
WRONG_PAIR = "フレッツナンバーまたはアクセスキーが正しくありません。"


def test_it_logs_in_and_shows_the_lines_services(page):
    line = make_line(access_key=KEY)
    set_notify(line, make_provider(code="W0099", name="NTT西日本(試験用)"))

    log_in(page, line, KEY)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("サービス申込受付ページ")
    expect(page.get_by_test_id("customer-id")).to_have_text(line.customer_id)
    expect(page.get_by_text("お客様の現在のご利用状況は以下のとおりです。")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="回線情報通知機能")
    expect(row).to_contain_text("通知")
    expect(
        row.get_by_role("link", name="詳細・変更").or_(row.get_by_role("button", name="詳細・変更"))
    ).to_be_visible()
    for name in ("フレッツ・セッションプラス", "フレッツ・VPN ワイド", "リモートサポートサービス"):
        expect(page.get_by_role("row").filter(has_text=name)).to_be_visible()


def test_it_refuses_a_wrong_pair_without_saying_which_half(page):
    line = make_line(access_key=KEY)

    log_in(page, line, "WRONG999")

    expect(page.get_by_text(WRONG_PAIR)).to_be_visible()
    expect(page.get_by_role("button", name="ログイン")).to_be_visible()
    expect(page.get_by_test_id("customer-id")).to_have_count(0)


def test_it_logs_out(page):
    line = make_line(access_key=KEY)
    log_in(page, line, KEY)
    expect(page.get_by_test_id("customer-id")).to_have_text(line.customer_id)

    page.get_by_role("button", name="ログアウト").click()

    expect(page.get_by_role("button", name="ログイン")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_test_id("customer-id")).to_have_count(0)


def test_it_locks_the_line_after_five_failures(page, settings):
    settings.WSO_LOCKOUT_FAILURES = 5
    line = make_line(access_key=KEY)

    for _ in range(4):
        log_in(page, line, "WRONG999")
        expect(page.get_by_text(WRONG_PAIR)).to_be_visible()
    log_in(page, line, "WRONG999")
    expect(page.get_by_text("ログインに5回続けて失敗したため")).to_be_visible()

    log_in(page, line, KEY)  # the right key, too late

    expect(page.get_by_text("ログインに5回続けて失敗したため")).to_be_visible()
    expect(page.get_by_test_id("customer-id")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
