"""The Content-Security-Policy in force, as the browser applies it: every screen of the portal,
the admin's pages and the API's docs load without a single violation."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from notification.models import Application
from providers.webhooks import register_endpoint
from tests.factories import (
    make_agreement,
    make_application,
    make_disclosure,
    make_line,
    make_provider,
    set_notify,
)

from .helpers import E2E, apply, log_in, open_usage_detail

pytestmark = E2E

KEY = "ABCD2345"


@pytest.fixture
def csp_page(browser, live_server):
    """A page with the site's CSP in force (the other tests' contexts set it aside for axe),
    recording every violation the browser reports."""
    context = browser.new_context(base_url=live_server.url, locale="ja-JP")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.violations = []
    page.on(
        "console",
        lambda message: (
            page.violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    page.wait_for_load_state("networkidle")


def test_the_subscriber_screens_load_without_a_csp_violation(csp_page):
    page = csp_page
    make_agreement()
    alice = make_line(access_key=KEY)
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, provider)
    make_disclosure(alice, provider)

    visit(page, "/login/")
    log_in(page, alice, KEY)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    open_usage_detail(page)
    apply(page, [provider], to="通知しない")
    expect(page.get_by_text("回線情報通知の申込を受け付けました。")).to_be_visible()
    page.wait_for_load_state("networkidle")  # print.js included
    receipt = Application.objects.get().receipt_number
    for url in [
        "/",
        reverse("notification:usage_detail"),
        reverse("notification:history"),
        reverse("notification:receipt", args=[receipt]),
        reverse("providers:history"),
        reverse("providers:provider_history", args=["W0099"]),
        reverse("portal:privacy"),
    ]:
        visit(page, url)
    assert page.violations == []


def test_the_admin_and_the_api_docs_load_without_a_csp_violation(csp_page):
    page = csp_page
    get_user_model().objects.create_superuser("operator", "ops@example.jp", "operator-pass-2026")
    line = make_line()
    provider = make_provider(code="W0099")
    register_endpoint(provider, "http://127.0.0.1:9/hooks")
    make_application(line, [provider], agreement=make_agreement())
    make_disclosure(line, provider)

    visit(page, "/admin/login/")
    page.get_by_label("ユーザー名").fill("operator")
    page.get_by_label("パスワード").fill("operator-pass-2026")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="運用管理")).to_be_visible()
    for url in [
        "/admin/",
        "/admin/wso_portal/subscriberline/",
        f"/admin/wso_portal/subscriberline/{line.pk}/change/",
        "/admin/wso_portal/subscriberline/add/",
        "/admin/notification/application/",
        "/admin/notification/serviceprovider/",
        f"/admin/notification/serviceprovider/{provider.pk}/change/",
        "/admin/providers/providerkey/add/",
        "/admin/providers/disclosure/",
        "/admin/providers/endpoint/",
        "/admin/providers/webhookevent/",
        "/admin/auth/user/",
    ]:
        visit(page, url)
    visit(page, "/api/v1/docs")
    expect(page.get_by_text("IPv6アドレスからお客様IDを照会する").first).to_be_visible()
    assert page.violations == []
