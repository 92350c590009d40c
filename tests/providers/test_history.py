"""提供履歴: the line's own disclosure log, per provider and dated, on screen and as CSV."""

import codecs
import csv
import io
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notification.models import NotificationSetting
from providers.history import ProviderSummaries, disclosures
from providers.models import Disclosure
from providers.services import retention_start
from tests.factories import make_disclosure, make_key, make_provider, set_notify

HISTORY = reverse("providers:history")
HISTORY_CSV = reverse("providers:history_csv")


def provider_url(provider) -> str:
    return reverse("providers:provider_history", kwargs={"code": provider.code})


def provider_csv_url(provider) -> str:
    return reverse("providers:provider_history_csv", kwargs={"code": provider.code})


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def shown(at) -> str:
    """As the CSV writes a time."""
    return f"{timezone.localtime(at):%Y/%m/%d %H:%M:%S}"


def on_screen(at) -> str:
    """As every screen writes a time (the receipt's format)."""
    return f"{timezone.localtime(at):%Y年%m月%d日 %H時%M分%S秒}"


def rows_of(response) -> list[str]:
    """The provider codes of the summary's rows, in order."""
    return re.findall(r'data-provider="([A-Z][0-9]{4})"', response.content.decode())


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def w0099(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")


@pytest.fixture
def video(db):
    return make_provider(
        code="V0001", name="株式会社ひかり映像配信サービス", service_name="映像配信サービス"
    )


# The summary -----------------------------------------------------------------------------------


def test_it_gives_first_last_and_count_per_provider_last_provided_first(alice, w0099, video):
    w_first, w_last = ago(days=30), ago(days=2)
    make_disclosure(alice, w0099, at=w_first)
    make_disclosure(alice, w0099, at=w_last)
    make_disclosure(alice, w0099, at=ago(days=10))
    v_at = ago(days=1)
    make_disclosure(alice, video, at=v_at)

    summary = [(p.code, p.first_at, p.last_at, p.times) for p in ProviderSummaries(alice)]

    assert summary == [("V0001", v_at, v_at, 1), ("W0099", w_first, w_last, 3)]


def test_it_shows_the_summary_on_the_screen(alice_client, alice, w0099, video):
    first, last = ago(days=5), ago(hours=3)
    make_disclosure(alice, w0099, at=first)
    make_disclosure(alice, w0099, at=last)
    make_disclosure(alice, video, at=ago(days=6))

    response = alice_client.get(HISTORY)

    assert response.status_code == 200
    assert rows_of(response) == ["W0099", "V0001"]
    html = response.content.decode()
    row = html[html.index('data-provider="W0099"') :].split("</tr>")[0]
    assert "試験用" in row
    assert f'href="{provider_url(w0099)}"' in row
    assert on_screen(first) in row and on_screen(last) in row and "2回" in row
    assert "件数: 2件" in html


def test_it_counts_only_what_the_retention_window_keeps(alice, w0099, video, settings):
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 400
    now = timezone.now()
    oldest_kept = retention_start(now)  # the month holding the moment 400 days ago
    assert oldest_kept <= now - timedelta(days=400) < oldest_kept + timedelta(days=31)
    make_disclosure(alice, w0099, at=oldest_kept)
    make_disclosure(alice, w0099, at=oldest_kept - timedelta(microseconds=1))
    make_disclosure(alice, w0099, at=now - timedelta(days=1))
    make_disclosure(alice, video, at=oldest_kept - timedelta(days=1))  # only outside: not listed

    summary = [(p.code, p.first_at, p.times) for p in ProviderSummaries(alice, now=now)]

    assert summary == [("W0099", oldest_kept, 2)]
    assert len(disclosures(alice, w0099, now=now)) == 2


def test_the_lead_says_how_many_days_are_kept(alice_client, alice, w0099, settings):
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 90
    make_disclosure(alice, w0099, at=retention_start() - timedelta(seconds=1))

    response = alice_client.get(HISTORY)

    assert "過去90日間" in response.content.decode()
    assert rows_of(response) == []
    assert 'data-testid="no-disclosures"' in response.content.decode()


def test_it_says_so_when_nothing_was_provided(alice_client):
    response = alice_client.get(HISTORY)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>提供履歴 | NTT西日本</title>" in html
    assert "お客様IDをサービス提供者に提供した履歴はありません。" in html
    assert "「通知する」に設定されているサービス提供者に、お客様IDを提供した履歴です" in html


def test_it_pages_the_summary(alice_client, alice):
    providers = [make_provider() for _ in range(21)]
    for n, provider in enumerate(providers):
        make_disclosure(alice, provider, at=ago(minutes=n))

    first = alice_client.get(HISTORY)
    second = alice_client.get(HISTORY, {"page": 2})

    assert rows_of(first) == [p.code for p in providers[:20]]
    assert rows_of(second) == [providers[20].code]
    assert "件数: 21件" in second.content.decode()
    assert "(ページ: 2/2ページ)" in second.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    assert 'href="?page=1"' in second.content.decode()


def test_providers_last_told_at_the_same_moment_are_listed_by_code(alice, bob):
    at = ago(hours=1)
    later, earlier = make_provider(code="B0002"), make_provider(code="A0001")
    last = make_provider(code="C0003")
    make_disclosure(alice, later, at=at)
    make_disclosure(alice, earlier, at=at)
    make_disclosure(alice, earlier, at=at - timedelta(days=1))
    make_disclosure(alice, last, at=at - timedelta(days=2))
    make_disclosure(bob, last, at=ago(minutes=1))  # Bob's record moves nothing of Alice's

    summaries = ProviderSummaries(alice)

    assert [(p.code, p.times) for p in summaries] == [("A0001", 2), ("B0002", 1), ("C0003", 1)]
    assert summaries.count() == 3
    assert [p.code for p in summaries[1:3]] == ["B0002", "C0003"]
    assert summaries.of("A0001").first_at == at - timedelta(days=1)
    assert summaries.of("Z9999") is None


# One provider's dated list ---------------------------------------------------------------------


def test_it_lists_one_providers_disclosures_newest_first(alice_client, alice, w0099, video):
    older = make_disclosure(alice, w0099, at=ago(days=3), address="2001:db8:4000::1")
    newer = make_disclosure(alice, w0099, at=ago(hours=1), address="2001:db8:4000::2")
    make_disclosure(alice, video, address="2001:db8:4000::99")

    response = alice_client.get(provider_url(w0099))

    assert response.status_code == 200
    html = response.content.decode()
    assert "W0099 NTT西日本(試験用)" in html
    assert "件数: 2件" in html
    dated = html[html.index('data-testid="disclosure-list"') :]
    assert dated.index(on_screen(newer.at)) < dated.index(on_screen(older.at))
    assert dated.index("2001:db8:4000::2") < dated.index("2001:db8:4000::1")
    assert "2001:db8:4000::99" not in html  # another provider's


def test_it_pages_the_dated_list(alice_client, alice, w0099):
    set_notify(alice, w0099)
    key = make_key(w0099)[0]
    start = ago(hours=1)
    Disclosure.objects.bulk_create(
        Disclosure(
            line=alice,
            provider=w0099,
            key=key,
            address=f"2001:db8:4000::{n:x}",
            at=start - timedelta(minutes=n),
        )
        for n in range(1, 52)
    )

    second = alice_client.get(provider_url(w0099), {"page": 2})

    html = second.content.decode()
    assert "(ページ: 2/2ページ)" in html
    assert "2001:db8:4000::33<" in html  # the 51st, oldest
    assert "2001:db8:4000::32<" not in html


# Only the line's own records -------------------------------------------------------------------


def test_bobs_records_never_reach_alice(alice_client, alice, bob, w0099, video):
    make_disclosure(alice, w0099, address="2001:db8:4000::a")
    make_disclosure(bob, w0099, address="2001:db8:4000::b")
    make_disclosure(bob, w0099, address="2001:db8:4000::c")
    make_disclosure(bob, video, address="2001:db8:4000::d")

    summary = alice_client.get(HISTORY)
    dated = alice_client.get(provider_url(w0099))
    summary_csv = csv_rows(alice_client.get(HISTORY_CSV))
    dated_csv = csv_rows(alice_client.get(provider_csv_url(w0099)))

    assert rows_of(summary) == ["W0099"]
    assert "1回" in summary.content.decode()
    assert "V0001" not in summary.content.decode()
    assert "2001:db8:4000::a" in dated.content.decode()
    assert "::b" not in dated.content.decode() and "::c" not in dated.content.decode()
    assert [row[1] for row in summary_csv[1:]] == ["W0099 NTT西日本(試験用)"]
    assert summary_csv[1][4] == "1"
    assert [row[1] for row in dated_csv[1:]] == ["2001:db8:4000::a"]
    assert bob.customer_id not in summary.content.decode()


def test_a_provider_only_bob_has_records_with_is_not_found_for_alice(
    alice_client, alice, bob, video
):
    make_disclosure(bob, video)

    assert alice_client.get(provider_url(video)).status_code == 404
    assert alice_client.get(provider_csv_url(video)).status_code == 404
    unknown = reverse("providers:provider_history", args=["Z9999"])
    assert alice_client.get(unknown).status_code == 404


def test_records_outside_retention_do_not_open_a_providers_list(alice_client, alice, video):
    make_disclosure(alice, video, at=retention_start() - timedelta(seconds=1))

    assert alice_client.get(provider_url(video)).status_code == 404


# CSV -------------------------------------------------------------------------------------------


def test_the_summary_csv_is_utf8_with_a_bom_and_japanese_headers(alice_client, alice, w0099):
    first, last = ago(days=4), ago(minutes=5)
    make_disclosure(alice, w0099, at=first)
    make_disclosure(alice, w0099, at=last)

    response = alice_client.get(HISTORY_CSV)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    filename = f"提供履歴_{alice.customer_id}_{timezone.localdate():%Y%m%d}.csv"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(filename)}"
    assert csv_rows(response) == [
        ["サービス名", "サービス提供者名", "初回提供日時", "最終提供日時", "提供回数"],
        ["試験用", "W0099 NTT西日本(試験用)", shown(first), shown(last), "2"],
    ]


def test_the_dated_csv_lists_times_and_addresses(alice_client, alice, w0099):
    older = make_disclosure(alice, w0099, at=ago(days=2), address="2001:db8:4000::1")
    newer = make_disclosure(alice, w0099, at=ago(days=1), address="2001:db8:4000::2")

    response = alice_client.get(provider_csv_url(w0099))

    assert f"_{alice.customer_id}_W0099_" in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["提供日時", "照会されたアドレス", "受付番号"],
        [shown(newer.at), "2001:db8:4000::2", ""],
        [shown(older.at), "2001:db8:4000::1", ""],
    ]


def test_the_csv_keeps_a_spreadsheet_from_running_a_providers_words(alice_client, alice):
    provider = make_provider(service_name="=HYPERLINK(1)")
    make_disclosure(alice, provider)

    rows = csv_rows(alice_client.get(HISTORY_CSV))

    assert rows[1][0] == "'=HYPERLINK(1)"


def test_the_csv_of_an_empty_log_has_its_headers(alice_client):
    assert csv_rows(alice_client.get(HISTORY_CSV)) == [
        ["サービス名", "サービス提供者名", "初回提供日時", "最終提供日時", "提供回数"]
    ]


# Guards ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["history", "history_csv"])
def test_it_requires_login(client, db, name):
    response = client.get(reverse(f"providers:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


@pytest.mark.parametrize("name", ["provider_history", "provider_history_csv"])
def test_a_providers_list_requires_login(client, alice, w0099, name):
    make_disclosure(alice, w0099)

    response = client.get(reverse(f"providers:{name}", args=["W0099"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# Cost ------------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_stays_flat_with_10000_log_rows(alice_client, alice, bob, w0099):
    make_disclosure(alice, w0099)
    urls = [HISTORY, HISTORY_CSV, provider_url(w0099), provider_csv_url(w0099)]
    with_one_row = [_queries(alice_client, url) for url in urls]

    providers = [w0099] + [make_provider() for _ in range(29)]
    keys = [make_key(provider)[0] for provider in providers[1:]]
    keys.insert(0, w0099.api_keys.get())
    for line in (alice, bob):
        for provider in providers:
            NotificationSetting.objects.get_or_create(line=line, provider=provider, notify=True)
    at = ago(days=1)
    Disclosure.objects.bulk_create(
        (
            Disclosure(
                line=alice if n % 5 else bob,
                provider=providers[n % 30],
                key=keys[n % 30],
                address=f"2001:db8:4000::{n:x}",
                at=at - timedelta(seconds=n),
            )
            for n in range(1, 10_000)
        ),
        batch_size=2000,
    )
    assert Disclosure.objects.count() == 10_000
    with_many_rows = [_queries(alice_client, url) for url in urls]

    assert with_many_rows == with_one_row
    # The session, its user and line; the session's activity stamp; then 1 to 3 reads.
    assert max(with_one_row) <= 9


def test_the_summary_reads_the_line_provider_index(alice, w0099):
    if connection.vendor != "sqlite":
        pytest.skip("the plan's wording is SQLite's")
    make_disclosure(alice, w0099)

    sql, params = ProviderSummaries(alice).statement()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "disclosure_line_provider" in plan
    assert "disclosure_line_provider" in disclosures(alice, w0099).explain()


# Links -----------------------------------------------------------------------------------------


def test_usage_detail_links_to_the_history(alice_client):
    html = alice_client.get(reverse("notification:usage_detail")).content.decode()

    assert f'href="{HISTORY}">提供履歴</a>' in html


def test_the_footer_links_to_the_history_for_a_subscriber_only(alice_client, client):
    link = f'<li><a href="{HISTORY}">提供履歴</a></li>'

    assert link in alice_client.get(reverse("portal:top")).content.decode()
    alice_client.logout()
    assert link not in client.get(reverse("portal:login")).content.decode()


def test_no_index_of_the_log_repeats_the_start_of_another(db):
    """Every look-up writes each index of the disclosure log: an index whose columns open
    another one serves no read the other cannot."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Disclosure._meta.db_table)
    indexes = {
        name: tuple(c["columns"]) for name, c in constraints.items() if c["index"] and c["columns"]
    }

    redundant = [
        (name, other)
        for name, columns in indexes.items()
        for other, longer in indexes.items()
        if other != name and longer[: len(columns)] == columns
    ]

    assert redundant == []
    assert ("line_id", "provider_id", "at") in indexes.values()
    assert ("provider_id", "at") in indexes.values()
