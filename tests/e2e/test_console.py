"""事業者ポータル in a real browser: W0099's user walks every screen at 1100 and 375 px, each
axe-clean and fitting the width, and again with the site's CSP in force, with no violation."""

import json

import pytest
from playwright.sync_api import expect

from console.services import create_provider_user
from providers.webhooks import claim_next, deliver
from tests.factories import make_disclosure, make_line, make_provider, set_notify
from tests.providers.receiver import start_receiver

from .conftest import PHONE, _format_violations, axe_violations, page_overflow, wide_elements
from .helpers import E2E, field

pytestmark = E2E

EMAIL = "carol@w0099.example.jp"
PASSWORD = "console-pass-2026"
WIDE = {"width": 1100, "height": 900}


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def w0099(db):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    user = create_provider_user(provider, EMAIL).user
    user.set_password(PASSWORD)
    user.save()
    line = make_line()
    set_notify(line, provider)
    make_disclosure(line, provider)
    return provider


class Widths:
    """axe and fit at 1100 and 375 px for each screen; every problem listed at the end."""

    def __init__(self, page, axe_js):
        self.page, self.axe_js, self.problems, self.checked = page, axe_js, [], []

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        for viewport in (WIDE, PHONE):
            page.set_viewport_size(viewport)
            overflow = page_overflow(page)
            if overflow:
                self.problems.append(
                    f"{name} at {viewport['width']} px: {overflow} px too wide "
                    + json.dumps(wide_elements(page), ensure_ascii=False)
                )
            violations = axe_violations(page, self.axe_js)
            if violations:
                self.problems.append(
                    f"{name} at {viewport['width']} px:\n{_format_violations(violations)}"
                )
        page.set_viewport_size(WIDE)
        self.checked.append(name)

    def assert_clean(self) -> None:
        assert len(self.checked) >= 10
        assert not self.problems, "\n\n".join(self.problems)


def walk(page, receiver, check) -> None:
    """Every console screen, the way a provider's staff member goes through them."""
    page.goto("/provider/login/")
    check("console-login")
    field(page, "メールアドレス").fill(EMAIL)
    field(page, "パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="ダッシュボード")).to_be_visible()
    check("console-dashboard")

    page.get_by_role("link", name="APIキー").click()
    check("console-keys")
    page.get_by_role("button", name="APIキーを発行").click()
    expect(page.get_by_role("heading", name="APIキーを発行しました")).to_be_visible()
    key = page.get_by_test_id("new-key").inner_text()
    assert key.startswith("wso_")
    copy = page.get_by_role("button", name="コピー")
    expect(copy).to_be_visible()  # shown by copy.js, a static file
    copy.click()
    expect(page.get_by_text("コピーしました")).to_be_visible()
    check("console-key-issued")
    page.get_by_role("link", name="APIキーの一覧へ戻る").click()
    page.get_by_role("link", name="失効").first.click()
    check("console-key-revoke")
    page.get_by_role("button", name="失効させる").click()
    expect(page.get_by_text("を失効させました")).to_be_visible()

    page.get_by_role("link", name="通知先URL").click()
    check("console-endpoint")
    field(page, "通知先URL").fill(receiver.url)
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_test_id("new-secret")).to_contain_text("whsec_")
    check("console-secret")
    page.get_by_role("link", name="通知先URLへ戻る").click()
    page.get_by_role("button", name="テスト送信").click()
    expect(page.get_by_text("テスト送信しました")).to_be_visible()
    check("console-endpoint-tested")
    page.get_by_role("link", name="署名鍵を更新").click()
    check("console-rotate")
    stop_the_endpoint()
    page.get_by_role("link", name="通知先URL").click()
    expect(page.get_by_test_id("endpoint-disabled")).to_be_visible()
    check("console-endpoint-disabled")
    page.get_by_role("button", name="再開").click()
    expect(page.get_by_text("通知先URLへの送信を再開しました")).to_be_visible()

    deliver_one_event()
    page.get_by_role("link", name="即時通知の履歴").click()
    check("console-events")
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="即時通知の詳細")).to_be_visible()
    check("console-event")
    page.get_by_role("link", name="照会履歴").click()
    check("console-disclosures")
    page.get_by_role("link", name="APIドキュメント").click()
    check("console-docs")
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", name="事業者ポータル ログイン")).to_be_visible()


def stop_the_endpoint():
    from datetime import timedelta

    from django.utils import timezone

    from providers.models import Endpoint

    now = timezone.now()
    Endpoint.objects.update(failing_since=now - timedelta(days=5), disabled_at=now)


def deliver_one_event():
    from providers.models import WebhookEvent

    provider = WebhookEvent.objects.first().provider
    line = make_line()
    WebhookEvent.objects.create(
        provider=provider,
        line=line,
        type=WebhookEvent.Type.DISABLED,
        webhook_id="msg_" + "e" * 32,
        data={"customer_id": line.customer_id, "provider_code": provider.code},
    )
    deliver(claim_next())


def test_the_console_is_axe_clean_and_fits_at_1100_and_375_px(page, axe_js, w0099, receiver):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    widths = Widths(page, axe_js)
    walk(page, receiver, widths.check)
    widths.assert_clean()


def test_the_console_loads_without_a_csp_violation(browser, live_server, w0099, receiver):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport=WIDE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    seen = []

    def check(name):
        page.wait_for_load_state("networkidle")
        seen.append(name)

    try:
        walk(page, receiver, check)
    finally:
        context.close()
    assert len(seen) >= 10 and violations == []


def test_a_new_user_sets_the_password_and_enrols_totp(page, axe_js, settings, db):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from console.services import set_password_path

    settings.WSO_CONSOLE_REQUIRE_MFA = True
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    user = create_provider_user(provider, "erin@w0099.example.jp").user
    widths = Widths(page, axe_js)
    page.goto(set_password_path(user))
    widths.check("console-set-password")
    field(page, "新しいパスワード").first.fill("a-long-new-pass-2026")  # then 確認用
    field(page, "新しいパスワード(確認用)").fill("a-long-new-pass-2026")
    page.get_by_role("button", name="パスワードを設定").click()
    expect(page.get_by_text("パスワードを設定しました。")).to_be_visible()
    widths.check("console-login-mfa")
    field(page, "メールアドレス").fill("erin@w0099.example.jp")
    field(page, "パスワード").fill("a-long-new-pass-2026")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="確認コードの登録")).to_be_visible()
    expect(page.get_by_role("img", name="認証アプリに登録するQRコード")).to_be_visible()
    widths.check("console-enrol")
    device = TOTPDevice.objects.get(user=user)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    field(page, "確認コード").fill(f"{code:06d}")
    page.get_by_role("button", name="登録してログイン").click()
    expect(page.get_by_role("heading", name="ダッシュボード")).to_be_visible()
    assert not widths.problems, "\n\n".join(widths.problems)
