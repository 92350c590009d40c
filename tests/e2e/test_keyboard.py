"""Flow A with the keyboard alone (Tab, Space, Enter), every stop visibly focused."""

import re

from playwright.sync_api import expect

from notification.models import Application, Direction
from tests.factories import make_agreement, make_line, make_provider, set_notify

from .helpers import E2E, field, log_in

pytestmark = E2E

KEY = "ABCD2345"
MAX_TABS = 60


def tab_to(page, target) -> None:
    """Press Tab until `target` has the focus, then check the focus can be seen."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(f"Tab never reached {target}")
    outline = target.evaluate(FOCUS_RING_JS)
    assert outline["style"] != "none" and outline["width"] >= 2, (
        f"no visible focus on {target}: {outline}"
    )
    # WCAG 1.4.11: the ring stands out from what surrounds it by at least 3:1.
    ratio = contrast(outline["color"], outline["background"])
    assert ratio >= 3, f"focus ring on {target} has contrast {ratio:.2f}:1: {outline}"


FOCUS_RING_JS = """el => {
    const s = getComputedStyle(el);
    let bg = 'rgb(255, 255, 255)';
    for (let p = el.parentElement; p; p = p.parentElement) {
        const c = getComputedStyle(p).backgroundColor;
        if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
    }
    return {style: s.outlineStyle, width: parseFloat(s.outlineWidth),
            color: s.outlineColor, background: bg};
}"""


def contrast(a: str, b: str) -> float:
    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_flow_a_with_the_keyboard_alone(page):
    make_agreement()
    alice = make_line(access_key=KEY)
    provider = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    set_notify(alice, provider)
    heading = page.get_by_role("heading", level=1)

    page.goto("/login/")
    tab_to(page, field(page, "フレッツナンバー"))
    page.keyboard.type(alice.flets_number)
    tab_to(page, field(page, "アクセスキー"))
    page.keyboard.type(KEY)
    tab_to(page, page.get_by_role("button", name="ログイン"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("customer-id")).to_have_text(alice.customer_id)

    row = page.get_by_role("row").filter(has_text="回線情報通知機能")
    tab_to(
        page,
        row.get_by_role("link", name="詳細・変更").or_(
            row.get_by_role("button", name="詳細・変更")
        ),
    )
    page.keyboard.press("Enter")
    expect(heading).to_have_text("回線情報通知 ご利用状況詳細")

    checkbox = page.get_by_role("row").filter(has_text=provider.name).get_by_role("checkbox")
    tab_to(page, checkbox)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    tab_to(page, page.get_by_role("button", name="「通知しない」に設定"))
    page.keyboard.press("Enter")
    expect(heading).to_have_text("同意書のご確認")

    tab_to(page, page.get_by_role("button", name="同意する"))
    page.keyboard.press("Enter")
    expect(heading).to_have_text("申込者情報入力")

    tab_to(page, field(page, "お名前"))
    page.keyboard.type("山田太郎")
    tab_to(page, field(page, "ご連絡先電話番号"))
    page.keyboard.type("090-1234-5678")
    tab_to(page, field(page, "ご連絡先メールアドレス"))
    page.keyboard.type("taro@example.jp")
    wants_mail = field(page, "希望する", exact=True)
    tab_to(page, wants_mail)  # nothing chosen yet: Tab enters the group at its first radio
    page.keyboard.press("Space")
    expect(wants_mail).to_be_checked()
    tab_to(page, page.get_by_role("button", name="次へ"))
    page.keyboard.press("Enter")
    expect(heading).to_have_text("回線情報通知 変更内容確認")

    tab_to(page, page.get_by_role("button", name="変更"))
    page.keyboard.press("Enter")
    expect(heading).to_have_text("回線情報通知 変更受付完了")

    application = Application.objects.get(line=alice)
    assert application.direction == Direction.STOP
    assert application.applicant_name == "山田太郎"
    assert application.wants_completion_mail


def test_the_first_tab_offers_a_visible_skip_link_to_the_content(page):
    alice = make_line(access_key=KEY)
    log_in(page, alice, KEY)
    expect(page.get_by_test_id("customer-id")).to_be_visible()

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="本文へ移動")
    assert skip.evaluate("el => el === document.activeElement")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
