"""受付完了 (screen 7) and 申込履歴: only the line's own applications, ever."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notification.models import BlockedMailDomain
from tests.factories import make_application, make_provider, set_notify

pytestmark = pytest.mark.django_db


def test_the_receipt_shows_everything_in_jst(alice_client, alice, agreement):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    received = datetime(2026, 11, 26, 2, 5, 17, tzinfo=UTC)
    application = make_application(
        alice,
        [provider],
        number="20261126-483920",
        received_at=received,
        agreement=agreement,
        applicant_name="西日本　太郎",
        applicant_phone="06-1234-5678",
    )
    response = alice_client.get(
        reverse("notification:receipt", kwargs={"receipt_number": application.receipt_number})
    )
    html = response.content.decode()
    assert '<h1 class="page__title">回線情報通知 変更受付完了</h1>' in html
    assert "2026年11月26日 11時05分17秒" in html  # 02:05:17 UTC is 11:05:17 JST
    assert "20261126-483920" in html
    assert alice.customer_id in html
    assert "試験用" in html and "W0099 NTT西日本(試験用)" in html
    assert '<th scope="col">通知設定</th>' in html and "通知する" in html
    for text in (
        "お名前",
        "西日本　太郎",
        "ご連絡先電話番号",
        "06-1234-5678",
        "ご連絡先メールアドレス",
        "taro@example.jp",
        "「工事完了通知メール」配信",
        "希望する",
    ):
        assert text in html
    assert 'media="print"' in html and "css/print.css" in html
    assert "js/print.js" in html and "data-print" in html


def test_alice_cannot_open_bobs_receipt(alice_client, bob, agreement):
    bobs = make_application(bob, agreement=agreement, number="20261126-000001")
    path = reverse("notification:receipt", kwargs={"receipt_number": bobs.receipt_number})
    response = alice_client.get(path)
    assert response.status_code == 404
    # The portal's 404 page: only the language links name the page asked for.
    html = response.content.decode().replace(f"?next={path}", "")
    assert bobs.receipt_number not in html and bobs.applicant_name not in html


def test_an_unknown_receipt_is_not_found(alice_client):
    response = alice_client.get(
        reverse("notification:receipt", kwargs={"receipt_number": "20260101-000000"})
    )
    assert response.status_code == 404


def test_the_screens_need_a_login(client, alice, agreement):
    application = make_application(alice, agreement=agreement, number="20261126-000002")
    for url in (
        reverse("notification:usage_detail"),
        reverse("notification:history"),
        reverse("notification:receipt", kwargs={"receipt_number": application.receipt_number}),
        reverse("notification:consent", kwargs={"flow_id": "x"}),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))


def test_history_lists_the_lines_applications_newest_first_with_their_state(
    alice_client, alice, bob, agreement
):
    now = timezone.now()
    states = ["received", "in_progress", "completed", "failed", "cancelled"]
    for i, state in enumerate(states):
        make_application(
            alice,
            agreement=agreement,
            number=f"20261126-10000{i}",
            state=state,
            received_at=now - timedelta(minutes=10 - i),
            providers=[make_provider()],
        )
    make_application(bob, agreement=agreement, number="20261126-999999")
    html = alice_client.get(reverse("notification:history")).content.decode()
    numbers = [f"20261126-10000{i}" for i in range(5)]
    positions = [html.index(f'data-receipt="{n}"') for n in numbers]
    assert positions == sorted(positions, reverse=True)  # newest first
    for label in ("受付", "工事中", "完了", "失敗", "取消"):
        assert re.search(rf'<td class="status"[^>]*>{label}</td>', html)
    assert "20261126-999999" not in html
    for number in numbers:
        url = reverse("notification:receipt", kwargs={"receipt_number": number})
        assert f'href="{url}"' in html
        assert alice_client.get(url).status_code == 200
    assert "件数: 5件" in html


def test_history_is_paged(alice_client, alice, agreement):
    now = timezone.now()
    for i in range(25):
        make_application(
            alice,
            agreement=agreement,
            number=f"20261126-2{i:05d}",
            received_at=now - timedelta(minutes=i),
        )
    first = alice_client.get(reverse("notification:history")).content.decode()
    assert "(ページ: 1/2ページ)" in first
    assert "20261126-200000" in first and "20261126-200024" not in first
    second = alice_client.get(reverse("notification:history") + "?page=2").content.decode()
    assert "(ページ: 2/2ページ)" in second and "20261126-200024" in second
    bad = alice_client.get(reverse("notification:history") + "?page=zzz")
    assert bad.status_code == 200


def test_an_empty_history_says_so(alice_client):
    html = alice_client.get(reverse("notification:history")).content.decode()
    assert "お申し込みの履歴はありません。" in html


def test_the_carriers_domains_are_seeded():
    seeded = set(BlockedMailDomain.objects.values_list("domain", flat=True))
    assert {
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "disney.ne.jp",
        "emobile.ne.jp",
        "ymobile.ne.jp",
        "y-mobile.ne.jp",
        "pdx.ne.jp",
        "willcom.com",
        "wcm.ne.jp",
        "rakuten.jp",
        "uqmobile.jp",
    } <= seeded


def test_bob_sees_only_his_own_usage_detail(alice, bob):
    shared = make_provider(code="W0500")
    set_notify(alice, shared)
    client = Client()
    client.force_login(bob.user)
    html = client.get(reverse("notification:usage_detail")).content.decode()
    assert "W0500" not in html
    assert "「通知する」に設定されているサービス提供者はありません。" in html


def test_history_lists_each_applications_first_providers_by_code_not_by_when_added(
    alice_client, alice, agreement
):
    """Providers created in reverse code order: the rows are ranked by code within each
    application, and the count is the application's own."""
    late, early, middle, other = (
        make_provider(code=c) for c in ("K0009", "K0001", "K0005", "K0007")
    )
    first = make_application(
        alice, [late, early, middle, other], agreement=agreement, state="completed"
    )
    second = make_application(alice, [late], agreement=agreement, state="completed")
    html = alice_client.get(reverse("notification:history")).content.decode()
    rows = dict(re.findall(r'<tr data-receipt="([\d-]+)">(.*?)</tr>', html, re.S))
    assert re.findall(r'data-provider="(\w+)"', rows[first.receipt_number]) == [
        "K0001",
        "K0005",
        "K0007",
    ]
    assert "ほか1件" in rows[first.receipt_number] and "4件" in rows[first.receipt_number]
    assert re.findall(r'data-provider="(\w+)"', rows[second.receipt_number]) == ["K0009"]
    assert "ほか" not in rows[second.receipt_number]


def test_the_history_names_the_providers_as_code_and_name_in_a_column_of_their_own(
    alice_client, alice, agreement
):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    application = make_application(alice, [provider], agreement=agreement)
    html = alice_client.get(reverse("notification:history")).content.decode()
    head = html.split("<thead>")[1].split("</thead>")[0]
    columns = re.findall(r'<th scope="col">([^<]+)</th>', head)
    assert columns[-2:] == ["サービス提供者", "通知先への連絡"]
    row = re.search(rf'<tr data-receipt="{application.receipt_number}">(.*?)</tr>', html, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert len(cells) == len(columns)
    assert '<li data-provider="W0099">W0099 NTT西日本(試験用)</li>' in cells[-2]
    assert "NTT西日本(試験用)" not in cells[-1]  # the notices column says 済 / 未 / － only
