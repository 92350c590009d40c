"""The admin at 1280 px in Chromium: the lists of APIキー, 申込, 即時通知 and 監査ログ fit the
screen, the log's 操作 stays on one line with Japanese model names, 申込's inline rows carry no
caption, the 通知先URL field shows the whole address, and a new API key is shown large with a
copy button."""

from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from audit.models import AuditEntry
from tests.factories import make_application, make_key, make_line, make_provider

from .conftest import DESKTOP
from .helpers import E2E

pytestmark = E2E


def as_operator(page, live_server):
    operator = get_user_model().objects.create_superuser("operator", "ops@example.jp", "pw-2026")
    client = Client()
    client.force_login(operator)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return operator


def fits(page) -> None:
    table = page.locator("#result_list")
    expect(table).to_be_visible()
    right = table.evaluate("t => t.getBoundingClientRect().right")
    assert right <= DESKTOP["width"], (page.url, right)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"], page.url


def test_the_lists_fit_1280_px(page, live_server):
    as_operator(page, live_server)
    line = make_line(access_key="ABCD2345")
    provider = make_provider(code="W0099", name="光コラボレーション事業者株式会社（試験用）")
    make_key(provider)
    application = make_application(line, [provider])
    AuditEntry.objects.create(
        operator="operator",
        action=AuditEntry.Action.REISSUE_ACCESS_KEY,
        target_type="wso_portal.SubscriberLine",
        target_id=str(line.pk),
        target_repr=str(line),
    )
    for path in (
        "/admin/providers/providerkey/",
        "/admin/notification/application/",
        "/admin/providers/webhookevent/",
        "/admin/audit/auditentry/",
    ):
        page.goto(path)
        if page.locator("#result_list").count():  # a list with no row has no table
            fits(page)

    page.goto("/admin/audit/auditentry/")
    action = page.locator("td.field-action").first
    lines = action.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; }"
    )
    assert lines == 1, lines  # 操作 on one line
    expect(page.locator("#result_list")).to_contain_text("回線")
    expect(page.locator("#result_list")).not_to_contain_text("wso_portal.SubscriberLine")

    page.goto(f"/admin/notification/application/{application.pk}/change/")
    expect(page.locator("#items-group td.original p")).to_be_hidden()
    expect(page.locator("#items-group")).to_contain_text("W0099")


def test_a_new_api_key_is_large_with_a_copy_button(page, live_server):
    as_operator(page, live_server)
    provider = make_provider(code="W0099")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/admin/providers/providerkey/add/?provider={provider.pk}")
    page.locator('#content form [type="submit"]').first.click()
    key = page.locator("code.api-key")
    expect(key).to_be_visible()
    assert key.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 18
    copy = page.get_by_role("button", name="コピー")
    copy.click()
    expect(copy).to_have_text("コピーしました")
    assert page.evaluate("navigator.clipboard.readText()") == key.inner_text()


def test_the_endpoint_url_field_shows_the_whole_address(page, live_server):
    as_operator(page, live_server)
    page.goto("/admin/providers/endpoint/add/")
    field = page.locator('#endpoint_form input[name="url"]')
    width = field.evaluate("el => el.getBoundingClientRect().width")
    assert width >= 600, width
