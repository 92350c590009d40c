import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notification.models import Application, Direction
from tests.factories import make_application, make_provider, set_notify
from wso_portal.models import Announcement, Service, ServiceContract

TOP = reverse("portal:top")
SERVICE_CODES = [
    "flets-number",
    "line-notification",
    "security",
    "remote-support",
    "session-plus",
    "vpn-wide",
]


def contract(line, code, status="利用中", plan=""):
    return ServiceContract.objects.create(
        line=line, service=Service.objects.get(code=code), status=status, plan=plan
    )


def statuses(response):
    return {row["service"].code: row["status"] for row in response.context["rows"]}


def test_it_needs_a_login(client, db):
    response = client.get(TOP)
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_it_shows_the_screen_as_the_manual_does(alice_client, alice):
    html = alice_client.get(TOP).content.decode()
    assert f'<span data-testid="customer-id">{alice.customer_id}</span>' in html
    assert "NTT西日本からのお知らせ" in html
    assert "お客様の現在のご利用状況は以下のとおりです。" in html
    assert (
        "各サービスのご契約状況の詳細確認、サービスを新規にご契約またはご契約内容を変更する場合は、"
        "【詳細・申込・変更】ボタンをクリックしてください。"
    ) in html
    assert (
        "<caption" in html and "フレッツ 光ネクストご契約者向けサービスご利用状況</caption>" in html
    )
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)
    assert [re.sub(r"<[^>]+>", "", h) for h in headers] == [
        "サービス名",
        "ご利用状況※",
        "サービス機能",
    ]
    row_headers = re.findall(r'<th scope="row">(.*?)</th>', html)
    assert row_headers == [
        "フレッツナンバー（通話機能※1）",
        "回線情報通知機能（※1）",
        "セキュリティ機能（※1）/ライセンスプラス",
        "リモートサポートサービス",
        "フレッツ・セッションプラス",
        "フレッツ・VPN ワイド",
    ]
    assert "(※) 一つのサービスで複数のお申し込みをされた場合" in html
    assert "※1 フレッツ 光ネクスト回線に標準装備している機能です。" in html
    for link in ("申込履歴", "ログアウト", "プライバシーポリシー"):
        assert link in html


def test_the_buttons_lead_to_each_services_page(alice_client):
    response = alice_client.get(TOP)
    rows = {row["service"].code: row for row in response.context["rows"]}
    assert list(rows) == SERVICE_CODES
    assert rows["line-notification"]["url"] == reverse("notification:usage_detail")
    assert rows["flets-number"]["service"].button_label == "詳細・変更"
    assert rows["line-notification"]["service"].button_label == "詳細・変更"
    for code in SERVICE_CODES[2:]:
        assert rows[code]["url"] == reverse("portal:service_detail", args=[code])
        assert rows[code]["service"].button_label == "詳細・申込・変更"
    html = response.content.decode()
    assert f'href="{reverse("notification:usage_detail")}"' in html
    assert ">詳細・申込・変更</a>" in html


def test_a_new_line_shows_each_services_default(alice_client):
    assert statuses(alice_client.get(TOP)) == {
        "flets-number": "通知",
        "line-notification": "---",
        "security": "利用中",
        "remote-support": "未契約",
        "session-plus": "未契約",
        "vpn-wide": "未契約",
    }


def test_notification_shows_通知_when_one_provider_is_notified(alice_client, alice):
    set_notify(alice, make_provider(), notify=False)
    assert statuses(alice_client.get(TOP))["line-notification"] == "---"
    set_notify(alice, make_provider(), notify=True)
    assert statuses(alice_client.get(TOP))["line-notification"] == "通知"


def test_notification_shows_登録中_while_switching_on(alice_client, alice, agreement):
    set_notify(alice, make_provider())
    make_application(alice, [make_provider()], direction=Direction.NOTIFY, agreement=agreement)
    assert statuses(alice_client.get(TOP))["line-notification"] == "登録中"


def test_notification_shows_変更中_while_switching_off(alice_client, alice, agreement):
    provider = make_provider()
    set_notify(alice, provider)
    make_application(
        alice,
        [provider],
        direction=Direction.STOP,
        state=Application.State.IN_PROGRESS,
        agreement=agreement,
    )
    assert statuses(alice_client.get(TOP))["line-notification"] == "変更中"


def test_notification_applies_the_precedence_rule_to_open_applications_both_ways(
    alice_client, alice, agreement
):
    provider = make_provider()
    set_notify(alice, provider)
    make_application(alice, [provider], direction=Direction.STOP, agreement=agreement)
    make_application(alice, [make_provider()], direction=Direction.NOTIFY, agreement=agreement)
    assert statuses(alice_client.get(TOP))["line-notification"] == "利用中"


@pytest.mark.parametrize(
    "state",
    [Application.State.COMPLETED, Application.State.FAILED, Application.State.CANCELLED],
)
def test_notification_ignores_closed_applications(alice_client, alice, agreement, state):
    make_application(
        alice, [make_provider()], direction=Direction.NOTIFY, state=state, agreement=agreement
    )
    assert statuses(alice_client.get(TOP))["line-notification"] == "---"


def test_contract_services_show_their_contract_state(alice_client, alice):
    contract(alice, "remote-support", "利用中")
    contract(alice, "session-plus", "変更中")
    contract(alice, "vpn-wide", "廃止中")
    contract(alice, "security", "登録中")
    shown = statuses(alice_client.get(TOP))
    assert shown["remote-support"] == "利用中"
    assert shown["session-plus"] == "変更中"
    assert shown["vpn-wide"] == "廃止中"
    assert shown["security"] == "登録中"


def test_several_applications_for_one_service_show_利用中(alice_client, alice):
    contract(alice, "session-plus", "登録中")
    contract(alice, "session-plus", "廃止中")
    contract(alice, "vpn-wide", "変更中")
    contract(alice, "vpn-wide", "変更中")
    shown = statuses(alice_client.get(TOP))
    assert shown["session-plus"] == "利用中"
    assert shown["vpn-wide"] == "変更中"


def test_it_shows_only_announcements_in_their_window(alice_client):
    now = timezone.now()
    Announcement.objects.create(text="掲載中のお知らせ", publish_from=now - timedelta(days=1))
    Announcement.objects.create(text="予定のお知らせ", publish_from=now + timedelta(days=1))
    Announcement.objects.create(
        text="終了したお知らせ",
        publish_from=now - timedelta(days=3),
        publish_until=now - timedelta(days=1),
    )
    html = alice_client.get(TOP).content.decode()
    assert "掲載中のお知らせ" in html
    assert "予定のお知らせ" not in html
    assert "終了したお知らせ" not in html


def test_alice_never_sees_bobs_data(alice_client, alice, bob, agreement):
    set_notify(bob, make_provider())
    make_application(bob, [make_provider()], direction=Direction.NOTIFY, agreement=agreement)
    contract(bob, "vpn-wide", "利用中", plan="ボブの拠点間VPN")
    contract(bob, "remote-support", "変更中")
    response = alice_client.get(TOP)
    assert statuses(response)["line-notification"] == "---"
    assert statuses(response)["vpn-wide"] == "未契約"
    assert statuses(response)["remote-support"] == "未契約"
    html = response.content.decode()
    assert bob.customer_id not in html
    assert alice.customer_id in html
    detail = alice_client.get(reverse("portal:service_detail", args=["vpn-wide"]))
    assert "ボブの拠点間VPN" not in detail.content.decode()
    assert detail.context["contracts"] == []
    assert bob.customer_id not in detail.content.decode()


def _top_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(TOP).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_data(
    alice_client, alice, agreement, django_assert_max_num_queries
):
    set_notify(alice, make_provider())
    contract(alice, "session-plus")
    make_application(alice, [make_provider()], direction=Direction.NOTIFY, agreement=agreement)
    Announcement.objects.create(text="お知らせ", publish_from=timezone.now() - timedelta(hours=1))
    few = _top_queries(alice_client)

    for n in range(200):
        provider = make_provider()
        set_notify(alice, provider, notify=n % 2 == 0)
        contract(alice, SERVICE_CODES[2 + n % 4], ["利用中", "登録中", "変更中", "廃止中"][n % 4])
        Announcement.objects.create(text=f"お知らせ{n}", publish_from=timezone.now())
    for _ in range(20):
        make_application(alice, [make_provider()], direction=Direction.STOP, agreement=agreement)
    many = _top_queries(alice_client)

    assert many == few
    with django_assert_max_num_queries(11):
        alice_client.get(TOP)


# The read-only service detail page -----------------------------------------------------------


def test_service_detail_lists_the_lines_contracts(alice_client, alice):
    contract(alice, "session-plus", "利用中", plan="セッションプラス 10セッション")
    contract(alice, "session-plus", "登録中", plan="セッションプラス 追加")
    response = alice_client.get(reverse("portal:service_detail", args=["session-plus"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "フレッツ・セッションプラス ご利用状況詳細" in html
    assert "セッションプラス 10セッション" in html
    assert response.context["status"] == "利用中"
    assert "<form" not in html.split('<main id="main"')[1].split("</main>")[0]


def test_service_detail_of_an_uncontracted_service(alice_client):
    response = alice_client.get(reverse("portal:service_detail", args=["vpn-wide"]))
    assert response.context["status"] == "未契約"
    assert "このサービスのご契約はありません。" in response.content.decode()


def test_service_detail_of_the_notification_service_is_the_usage_detail(alice_client):
    response = alice_client.get(reverse("portal:service_detail", args=["line-notification"]))
    assert response.status_code == 302
    assert response.url == reverse("notification:usage_detail")


def test_service_detail_of_an_unknown_service_is_404(alice_client):
    assert alice_client.get(reverse("portal:service_detail", args=["nope"])).status_code == 404


def test_service_detail_needs_a_login(client, db):
    response = client.get(reverse("portal:service_detail", args=["security"]))
    assert response.status_code == 302


def test_the_privacy_page_is_public(client, db):
    response = client.get(reverse("portal:privacy"))
    assert response.status_code == 200
    assert "<h1" in response.content.decode()
    assert "プライバシーポリシー" in response.content.decode()


@pytest.mark.parametrize(("code", "status"), [("flets-number", "通知"), ("security", "利用中")])
def test_service_detail_of_a_standard_feature_never_says_there_is_no_contract(
    alice_client, code, status
):
    response = alice_client.get(reverse("portal:service_detail", args=[code]))
    html = response.content.decode()
    assert response.context["status"] == status
    assert "このサービスは、フレッツ 光ネクスト回線に標準装備している機能です。" in html
    assert "このサービスのご契約はありません。" not in html


@pytest.mark.parametrize("code", ["flets-number", "security", "vpn-wide", "session-plus"])
def test_service_detail_links_to_the_other_menu_it_names(alice_client, code):
    html = alice_client.get(reverse("portal:service_detail", args=[code])).content.decode()
    assert "別メニュー" in html
    assert '<a href="https://flets-w.com/" rel="noopener" data-testid="other-menu">' in html
