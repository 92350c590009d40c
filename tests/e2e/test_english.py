"""Flow A walked once in English, chosen with the page's English link, every screen axe-clean."""

from playwright.sync_api import expect

from notification.models import Application, Direction
from tests.factories import make_provider, set_notify

from .helpers import E2E, KEY, field, heading, provider_row, tick

pytestmark = E2E


def test_flow_a_in_english(page, screens, alice):
    test_provider = make_provider(code="W0099", name="NTT West (test)", service_name="Test")
    other = make_provider(code="W0100", name="Hikari Denwa Co.")
    set_notify(alice, test_provider)
    set_notify(alice, other)

    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading(page)).to_have_text("Log in")
    screens.check("en-login")
    field(page, "FLET'S number").fill(alice.flets_number)
    field(page, "Access key").fill(KEY)
    page.get_by_role("button", name="Log in").click()

    expect(heading(page)).to_have_text("Service Application Portal")
    screens.check("en-top")
    row = page.get_by_role("row").filter(has_text="Line Information Notification")
    row.get_by_role("link", name="Details / Change").click()

    expect(heading(page)).to_have_text("Line Information Notification: usage details")
    expect(provider_row(page, test_provider)).to_contain_text("Notify")
    screens.check("en-usage-detail")
    tick(page, test_provider)
    page.get_by_role("button", name="Set to “Do not notify”").click()

    expect(heading(page)).to_have_text("Agreement")
    screens.check("en-consent")
    page.get_by_role("button", name="I agree", exact=True).click()

    expect(heading(page)).to_have_text("Applicant details")
    page.get_by_role("button", name="Next").click()
    # In the error summary (a link to the field) and next to the field.
    expect(page.get_by_role("link", name="Please enter your name.")).to_be_visible()
    expect(page.get_by_text("Error:Please enter your name.")).to_be_visible()
    screens.check("en-applicant-errors")
    field(page, "Name").fill("Taro Yamada")
    field(page, "Contact phone number").fill("090-1234-5678")
    field(page, "Contact email address").fill("taro@example.jp")
    field(page, "Yes", exact=True).check()
    page.get_by_role("button", name="Next").click()

    expect(heading(page)).to_have_text("Line Information Notification: confirm changes")
    expect(provider_row(page, test_provider)).to_contain_text("Do not notify")
    expect(provider_row(page, other)).to_have_count(0)
    screens.check("en-confirm")
    page.get_by_role("button", name="Submit").click()

    expect(heading(page)).to_have_text("Line Information Notification: application received")
    expect(
        page.get_by_text("Your Line Information Notification application has been received.")
    ).to_be_visible()
    application = Application.objects.get(line=alice)
    expect(page.get_by_test_id("received-at")).to_contain_text(" JST")
    expect(page.get_by_test_id("state")).to_have_text("Received")
    screens.check("en-receipt")
    assert application.direction == Direction.STOP
    assert application.language == "en"

    page.get_by_role("link", name="Application history").click()
    expect(page.get_by_role("row").filter(has_text=application.receipt_number)).to_contain_text(
        "Set to “Do not notify”"
    )
    screens.check("en-history")

    # The choice is kept: back to Japanese with the other link, and it stays.
    page.get_by_role("link", name="日本語").click()
    expect(heading(page)).to_have_text("申込履歴")
    page.goto("/")
    expect(heading(page)).to_have_text("サービス申込受付ページ")
    screens.assert_clean()
