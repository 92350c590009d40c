"""【画面印刷（保存）】: the receipt printed by Chromium is the receipt alone, on one A4 page."""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from notification.models import Application
from tests.factories import make_agreement, make_line, make_provider, set_notify

from .conftest import ARTIFACTS
from .helpers import E2E, apply, log_in, open_usage_detail

pytestmark = E2E

KEY = "ABCD2345"


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} (poppler-utils) is missing: run scripts/install-chromium")
    return path


def test_the_printed_receipt_is_the_receipt_alone_on_one_a4_page(page):
    make_agreement()
    alice = make_line(access_key=KEY)
    providers = [make_provider(name=f"サービス提供者株式会社{n}") for n in range(12)]
    for provider in providers:
        set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    apply(page, providers, to="通知しない")
    receipt_number = Application.objects.get().receipt_number

    print_button = page.get_by_role("button", name="画面印刷（保存）")
    expect(print_button).to_be_visible()
    # The button opens the browser's print dialog (recorded here instead of opened).
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    print_button.click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(print_button).to_be_hidden()
    expect(page.get_by_role("contentinfo")).to_be_hidden()
    expect(page.get_by_role("link", name="申込履歴")).to_be_hidden()
    expect(page.get_by_text(receipt_number)).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "receipt.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)

    info = subprocess.run([poppler("pdfinfo"), pdf], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M), info.stdout
    assert re.search(r"^Page size:.*\(A4\)$", info.stdout, re.M), info.stdout
    text = subprocess.run(
        [poppler("pdftotext"), "-layout", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("回線情報通知 変更受付完了", receipt_number, alice.customer_id, "山田太郎"):
        assert expected in text, f"{expected!r} is not on the printed receipt:\n{text}"
    for provider in providers:
        assert provider.name in text
    for hidden in ("ログアウト", "申込履歴", "プライバシーポリシー", "画面印刷"):
        assert hidden not in text, f"{hidden!r} is printed:\n{text}"

    subprocess.run(
        [poppler("pdftoppm"), "-png", "-r", "110", "-singlefile", pdf, ARTIFACTS / "receipt"],
        check=True,
    )
    assert (ARTIFACTS / "receipt.png").stat().st_size > 10_000


def test_the_printed_header_keeps_the_ntt_mark_and_lines_up_with_the_receipt(page):
    make_agreement()
    alice = make_line(access_key=KEY)
    provider = make_provider()
    set_notify(alice, provider)
    log_in(page, alice, KEY)
    open_usage_detail(page)
    apply(page, [provider], to="通知しない")
    page.emulate_media(media="print")

    def left(locator) -> float:
        return locator.evaluate("el => el.getBoundingClientRect().left")

    brand = page.locator(".brand")
    assert left(brand) == left(page.get_by_role("heading", level=1))
    assert left(brand) == left(page.get_by_test_id("receipt"))
    mark = page.locator(".brand__mark")
    assert mark.evaluate("el => getComputedStyle(el).printColorAdjust") == "exact"
    assert page.get_by_test_id("customer-id").evaluate(
        "el => el.getBoundingClientRect().right"
    ) == pytest.approx(
        page.get_by_test_id("receipt").evaluate("el => el.getBoundingClientRect().right"), abs=1
    )
