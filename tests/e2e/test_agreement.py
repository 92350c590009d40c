"""同意書 in Chromium: the whole text is on the page (no box hiding E and F), and the version's
own page starts its text at the top of its panel."""

from playwright.sync_api import expect

from agreements.models import AgreementVersion
from tests.factories import make_provider, set_notify

from .helpers import E2E, KEY, heading, log_in, open_usage_detail, tick

pytestmark = E2E

BODY = "\n\n".join(
    f"{letter}. 見出し{letter}\n" + "本文の行です。" * 12 + "\n" + "・箇条書き\n" * 6
    for letter in "ABCDEF"
)


def whole(page) -> bool:
    return page.get_by_test_id("agreement-body").evaluate(
        "el => el.scrollHeight <= el.clientHeight + 1"
    )


def test_the_whole_text_is_shown_on_the_consent_screen(page, alice, screens):
    AgreementVersion.objects.filter(version=1).update(body=BODY)
    provider = make_provider()
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    tick(page, provider)
    page.get_by_role("button", name="「通知しない」に設定").click()
    expect(heading(page)).to_have_text("同意書のご確認")
    body = page.get_by_test_id("agreement-body")
    expect(body).to_contain_text("F. 見出しF")
    assert whole(page)
    # F is above 【同意する】, reached by scrolling the page itself.
    agree = page.get_by_role("button", name="同意する")
    f_top = page.get_by_text("F. 見出しF").evaluate("el => el.getBoundingClientRect().top")
    assert f_top < agree.evaluate("el => el.getBoundingClientRect().top")
    screens.check("consent-whole-text")
    screens.assert_clean()


def test_the_versions_page_has_no_gap_above_its_text(page, alice, screens):
    AgreementVersion.objects.filter(version=1).update(body=BODY)
    page.goto("/agreements/1/")
    panel = page.get_by_test_id("agreement-version")
    title = panel.get_by_role("heading", level=2)
    gap = title.evaluate(
        "el => el.getBoundingClientRect().top - el.closest('.panel').getBoundingClientRect().top"
    )
    assert gap <= 24, gap  # the panel's padding, no margin on top of it
    assert whole(page)
    screens.check("agreement-version")
    screens.assert_clean()
