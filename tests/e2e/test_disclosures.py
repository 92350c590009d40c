"""提供履歴 in a browser: reached from the footer and ご利用状況詳細, a provider's dated list, the
CSV download; axe-clean and fitting a phone, with and without a pager."""

import codecs
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from providers.models import Disclosure
from tests.factories import make_disclosure, make_key, make_line, make_provider, set_notify

from .helpers import E2E, log_in, open_usage_detail, provider_row

pytestmark = E2E

KEY = "ABCD2345"


def test_disclosure_history_passes_axe_and_fits_a_phone(page, screens):
    alice = make_line(access_key=KEY)
    bob = make_line(access_key="BOBK9876")
    w0099 = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    others = [make_provider(name=f"IP電話サービス事業者{n}") for n in range(20)]
    make_disclosure(bob, make_provider(code="B0001", name="ボブだけの事業者"))

    log_in(page, alice, KEY)
    page.get_by_role("contentinfo").get_by_role("link", name="提供履歴").click()
    expect(page.get_by_role("heading", level=1, name="提供履歴")).to_be_visible()
    expect(page.get_by_test_id("no-disclosures")).to_be_visible()
    screens.check("disclosures-empty")

    now = timezone.now()
    key = make_key(w0099)[0]
    set_notify(alice, w0099)  # every disclosure follows the line's setting for the provider
    Disclosure.objects.bulk_create(
        Disclosure(
            line=alice,
            provider=w0099,
            key=key,
            address=f"2001:db8:4001::{n:x}",
            at=now - timedelta(minutes=n),
        )
        for n in range(60)
    )
    for n, provider in enumerate(others):
        make_disclosure(alice, provider, at=now - timedelta(days=1, minutes=n))

    open_usage_detail(page)
    page.get_by_role("main").get_by_role("link", name="提供履歴").click()
    expect(page.get_by_test_id("pager-summary")).to_contain_text("件数: 21件")
    expect(page.get_by_text("ボブだけの事業者")).to_have_count(0)
    row = provider_row(page, w0099)
    expect(row).to_contain_text("60回")
    screens.check("disclosures")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSVダウンロード").click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(codecs.BOM_UTF8)
    assert "W0099 NTT西日本(試験用)" in body.decode("utf-8-sig")

    row.get_by_role("link", name="W0099 NTT西日本(試験用)").click()
    expect(page.get_by_role("heading", level=2, name="W0099 NTT西日本(試験用)")).to_be_visible()
    expect(page.get_by_test_id("pager-summary")).to_contain_text("(ページ: 1/2ページ)")
    expect(page.get_by_test_id("disclosure-list").get_by_role("row")).to_have_count(51)
    screens.check("disclosures-provider")

    page.get_by_role("link", name="次のページ").click()
    expect(page.get_by_test_id("pager-summary")).to_contain_text("(ページ: 2/2ページ)")
    expect(page.get_by_test_id("disclosure-list")).to_contain_text("2001:db8:4001::3b")
    screens.check("disclosures-provider-last-page")

    page.get_by_role("link", name="提供履歴へ戻る").click()
    expect(page.get_by_test_id("disclosure-summary")).to_be_visible()
    screens.assert_clean()
