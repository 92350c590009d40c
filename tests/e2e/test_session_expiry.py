"""The idle warning two minutes before the session's end, 【ログインを続ける】, and the login page
that says why the session ended, in Chromium."""

import re

from playwright.sync_api import expect

from tests.factories import make_provider, set_notify

from .helpers import E2E, KEY, field, heading, log_in, open_usage_detail, tick

pytestmark = E2E

WARNING = "一定時間操作がないため、約2分後にログアウトします。"
ENDED = "一定時間操作がなかったため、ログアウトしました。"


def test_it_warns_before_the_idle_end_and_stays_logged_in(page, alice, settings, screens):
    settings.SESSION_COOKIE_AGE = 123  # the warning three seconds after each page
    log_in(page, alice, KEY)
    warning = page.get_by_test_id("session-warning")
    expect(warning).to_be_hidden()
    expect(warning.get_by_text(WARNING)).to_be_visible(timeout=8_000)
    expect(warning.get_by_text(ENDED)).to_be_hidden()
    screens.check("session-warning")

    with page.expect_response(re.compile(r"/session/keep-alive/$")) as answer:
        warning.get_by_role("button", name="ログインを続ける").click()
    assert answer.value.ok
    expect(warning).to_be_hidden()
    expect(heading(page)).to_have_text("サービス申込受付ページ")  # the same page, not reloaded
    screens.assert_clean()


def test_it_says_the_session_ended_and_the_login_takes_up_the_flow(page, alice, settings):
    settings.SESSION_COOKIE_AGE = 6
    settings.WSO_FLOW_MAX_AGE_SECONDS = 3600
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()
    expect(heading(page)).to_have_text("同意書のご確認")

    warning = page.get_by_test_id("session-warning")
    expect(warning.get_by_text(ENDED)).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="同意する").click()

    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_text(ENDED)).to_be_visible()
    settings.SESSION_COOKIE_AGE = 1800
    log_in_here(page, alice)
    expect(heading(page)).to_have_text("同意書のご確認")


def log_in_here(page, line):
    """Log in on the login page shown, keeping its `next`."""
    field(page, "フレッツナンバー").fill(line.flets_number)
    field(page, "アクセスキー").fill(KEY)
    page.get_by_role("button", name="ログイン").click()
