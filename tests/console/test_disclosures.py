"""照会履歴: the provider's own disclosures (date, お客様ID, address, key prefix), newest first,
paged by keyset with a bounded count, and a streamed CSV."""

import re
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from tests.factories import make_disclosure, make_key

PAGE = reverse("console:disclosures")
CSV = reverse("console:disclosures_csv")


def rows(html):
    return re.findall(r'<td class="address">([^<]+)</td>', html)


def test_the_list_shows_the_providers_own_disclosures(
    carol_client, w0099, other_provider, alice, bob
):
    key, _ = make_key(w0099)
    mine = make_disclosure(alice, w0099, key, address="2001:db8:4001::1")
    make_disclosure(bob, other_provider, address="2001:db8:4002::1")
    html = carol_client.get(PAGE).content.decode()
    assert rows(html) == ["2001:db8:4001::1"]
    assert alice.customer_id in html and bob.customer_id not in html
    assert f"<code>{key.display_prefix}…</code>" in html
    assert timezone.localtime(mine.at).strftime("%Y年%m月%d日 %H時%M分%S秒") in html


def test_pages_follow_each_other_by_keyset_without_gaps_or_repeats(carol_client, w0099, alice):
    now = timezone.now()
    key, _ = make_key(w0099)
    for i in range(120):
        # Pairs at the same instant: the id breaks the tie.
        make_disclosure(
            alice, w0099, key, at=now - timedelta(seconds=i // 2), address=f"2001:db8::{i:x}"
        )
    seen, url = [], PAGE
    while url:
        html = carol_client.get(url).content.decode()
        seen += rows(html)
        found = re.search(r'href="(\?after=[0-9.]+)"', html)
        url = PAGE + found[1] if found else None
    assert len(seen) == 120 and len(set(seen)) == 120
    assert "件数: 120件" in carol_client.get(PAGE).content.decode()


def test_the_count_is_bounded(carol_client, w0099, alice, monkeypatch):
    monkeypatch.setattr("console.views.DISCLOSURES_COUNTED", 3)
    for _ in range(5):
        make_disclosure(alice, w0099)
    assert "件数: 3件以上" in carol_client.get(PAGE).content.decode()


def test_a_cursor_that_is_not_one_is_the_first_page(carol_client, w0099, alice):
    make_disclosure(alice, w0099)
    for bad in ["x", "1.2.3", "99999999999999999999999.1", ""]:
        response = carol_client.get(PAGE, {"after": bad})
        assert response.status_code == 200 and len(rows(response.content.decode())) == 1


def test_another_providers_disclosure_as_a_cursor_shows_only_own_rows(
    carol_client, w0099, other_provider, alice, bob
):
    theirs = make_disclosure(bob, other_provider)
    make_disclosure(alice, w0099, at=theirs.at - timedelta(seconds=1), address="2001:db8:4001::9")
    micros = (theirs.at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    html = carol_client.get(PAGE, {"after": f"{micros + 1}.{theirs.pk}"}).content.decode()
    assert rows(html) == ["2001:db8:4001::9"]


def test_the_csv_streams_the_providers_own_rows(carol_client, w0099, other_provider, alice, bob):
    key, _ = make_key(w0099)
    make_disclosure(alice, w0099, key, address="2001:db8:4001::1")
    make_disclosure(bob, other_provider, address="2001:db8:4002::1")
    response = carol_client.get(CSV)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "W0099" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "提供日時,お客様ID,照会されたアドレス,APIキー"
    assert len(lines) == 2
    assert f"{alice.customer_id},2001:db8:4001::1,{key.display_prefix}…" in lines[1]
