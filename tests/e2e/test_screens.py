"""Every screen: no WCAG 2.1 A/AA violation found by axe-core, and no sideways scrolling of the
page on a 375 px phone. Screenshots of each land in test-artifacts/screens/."""

from playwright.sync_api import expect

from tests.factories import make_agreement, make_line, make_provider, set_notify
from wso_portal.models import Announcement, Service, ServiceContract

from .helpers import E2E, fill_applicant, log_in, open_usage_detail, tick

pytestmark = E2E

KEY = "ABCD2345"


def test_every_screen_passes_axe_and_fits_a_phone(page, screens):
    make_agreement()
    alice = make_line(access_key=KEY)
    Announcement.objects.create(
        text="【メンテナンスのお知らせ】12月10日 2時～5時は本ページをご利用いただけません。"
    )
    ServiceContract.objects.create(line=alice, service=Service.objects.get(code="security"))
    on = [
        make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用"),
        make_provider(name="株式会社ひかり映像配信サービス", service_name="映像配信サービス"),
    ]
    for provider in on:
        set_notify(alice, provider)
    off = [make_provider(name=f"IP電話サービス事業者{n}") for n in range(3)]

    page.goto("/login/")
    screens.check("login")
    log_in(page, alice, KEY)
    expect(page.get_by_test_id("customer-id")).to_be_visible()
    screens.check("top")

    page.get_by_role("row").filter(has_text="セキュリティ機能").get_by_role(
        "link", name="詳細・申込・変更"
    ).click()
    screens.check("service-detail")
    page.get_by_role("link", name="プライバシーポリシー").click()
    screens.check("privacy")

    open_usage_detail(page)
    screens.check("usage-detail")
    page.get_by_role("button", name="「通知しない」に設定").click()  # nothing ticked
    screens.check("usage-detail-error")
    page.get_by_role("button", name="通知先追加").or_(
        page.get_by_role("link", name="通知先追加")
    ).click()
    screens.check("registration")

    tick(page, off[0])
    tick(page, off[2])
    page.get_by_role("button", name="「通知する」に設定").click()
    screens.check("consent")
    page.get_by_role("button", name="同意する").click()
    screens.check("applicant")
    fill_applicant(page, name="", phone="0901234", email="taro@docomo.ne.jp")
    page.get_by_role("button", name="次へ").click()
    screens.check("applicant-errors")
    fill_applicant(page)
    page.get_by_role("button", name="次へ").click()
    screens.check("confirm")
    page.get_by_role("button", name="変更").click()
    screens.check("receipt")

    page.get_by_role("link", name="申込履歴").click()
    screens.check("history")
    page.goto("/")
    screens.check("top-in-progress")
    open_usage_detail(page)
    screens.check("usage-detail-in-progress")
    page.goto("/notification/flow/no-such-flow/confirm/")
    expect(page.get_by_test_id("refused")).to_be_visible()
    screens.check("refused")

    page.get_by_role("button", name="ログアウト").click()
    log_in(page, alice, "WRONG999")
    expect(page.get_by_role("button", name="ログイン")).to_be_visible()
    screens.check("login-error")

    screens.assert_clean()
