"""受付完了 and 申込履歴: per provider, whether it was told (即時通知): 「済」 with the time in JST,
「未」 while the application is open or its event pending or failed, 「－」 when there is
nothing to tell it."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notification.work import apply_now
from providers.models import WebhookEvent
from providers.webhooks import deliver_due, register_endpoint
from tests.factories import make_application, make_provider
from tests.providers.receiver import Answer, start_receiver

pytestmark = pytest.mark.django_db

State = WebhookEvent.State
TOLD_AT = datetime(2026, 11, 26, 2, 5, 17, tzinfo=UTC)  # 11:05:17 in Japan


def receipt_url(application):
    return reverse("notification:receipt", kwargs={"receipt_number": application.receipt_number})


def cells(html: str, column: str) -> dict[str, str]:
    """The receipt: each provider row's cell of the column (by its class), by provider code."""
    rows = re.findall(r'<tr data-provider="([A-Z][0-9]{4})">(.*?)</tr>', html, re.S)
    return {
        code: re.search(rf'<td class="{column}"[^>]*>(.*?)</td>', row, re.S).group(1).strip()
        for code, row in rows
    }


def listed(html: str) -> dict[str, str]:
    """申込履歴: each provider's 通知先への連絡 line (「済 …」), by provider code."""
    rows = re.findall(
        r'<span class="visually-hidden">([A-Z][0-9]{4}): </span>(.*?)</li>', html, re.S
    )
    return {code: row.strip() for code, row in rows}


def tell(application, code: str, state: str) -> WebhookEvent:
    item = application.items.get(provider__code=code)
    return WebhookEvent.objects.create(
        provider=item.provider,
        line=item.line,
        application_item=item,
        type=WebhookEvent.Type.ENABLED,
        webhook_id=f"msg_{code}{application.pk:028d}",
        data={"customer_id": item.line.customer_id, "provider_code": code},
        state=state,
        delivered_at=TOLD_AT if state == State.DELIVERED else None,
    )


@pytest.fixture
def told(alice, agreement):
    """An applied application of four providers: told, pending, failed, and one never sent to."""
    providers = [make_provider(code=code) for code in ("A0001", "A0002", "A0003", "A0004")]
    application = make_application(alice, providers, state="completed", agreement=agreement)
    tell(application, "A0001", State.DELIVERED)
    tell(application, "A0002", State.PENDING)
    tell(application, "A0003", State.FAILED)
    return application


def test_the_receipt_shows_per_provider_whether_it_was_told(alice_client, told):
    html = alice_client.get(receipt_url(told)).content.decode()
    assert '<th scope="col">通知先への連絡</th>' in html
    for label in ("サービス名", "サービス提供者名", "通知設定"):  # the manual's, unchanged
        assert f'<th scope="col">{label}</th>' in html
    assert cells(html, "notice") == {
        "A0001": "済 2026年11月26日 11時05分17秒",
        "A0002": "未",
        "A0003": "未",
        "A0004": "－",
    }
    assert cells(html, "status") == dict.fromkeys(["A0001", "A0002", "A0003", "A0004"], "通知する")


def test_history_shows_per_provider_whether_it_was_told_and_links_the_rest(alice_client, told):
    html = alice_client.get(reverse("notification:history")).content.decode()
    assert '<th scope="col">通知先への連絡</th>' in html
    shown = listed(html)
    assert list(shown) == ["A0001", "A0002", "A0003"]  # the first three, by code
    assert shown["A0001"] == "済 2026年11月26日 11時05分17秒"  # as on the receipt
    assert shown["A0002"] == shown["A0003"] == "未"
    assert f'<a href="{receipt_url(told)}">ほか1件</a>' in html


def test_history_shows_not_yet_while_open_and_a_dash_for_a_provider_never_told(
    alice_client, alice, agreement
):
    make_application(alice, [make_provider(code="B0001")], agreement=agreement)
    make_application(alice, [make_provider(code="B0002")], state="completed", agreement=agreement)
    html = alice_client.get(reverse("notification:history")).content.decode()
    assert listed(html) == {"B0001": "未", "B0002": "－"}
    assert "ほか" not in html


def test_a_provider_is_told_once_the_worker_delivers(alice_client, alice, agreement):
    """The whole way: the 工事 writes the event (未), a real server answers 204 (済)."""
    receiver = start_receiver()
    try:
        receiver.answer(Answer(status=204))
        told, silent = make_provider(code="C0001"), make_provider(code="C0002")
        register_endpoint(told, receiver.url)
        application = make_application(alice, [told, silent], agreement=agreement, wants_mail=False)
        # Until the 工事, every provider is still to be told.
        assert cells(alice_client.get(receipt_url(application)).content.decode(), "notice") == {
            "C0001": "未",
            "C0002": "未",
        }
        apply_now(application.pk, by="operator")
        html = alice_client.get(receipt_url(application)).content.decode()
        assert cells(html, "notice") == {"C0001": "未", "C0002": "－"}
        assert deliver_due() == 1
        html = alice_client.get(receipt_url(application)).content.decode()
        assert cells(html, "notice")["C0001"].startswith("済 ")
        assert cells(html, "notice")["C0002"] == "－"
        assert len(receiver.received) == 1
    finally:
        receiver.close()


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_query_counts_do_not_grow_with_the_providers_told(alice_client, alice, agreement):
    few = make_application(
        alice, [make_provider() for _ in range(2)], state="completed", agreement=agreement
    )
    for item in few.items.all():
        tell(few, item.provider.code, State.DELIVERED)
    counts = (
        queries(alice_client, receipt_url(few)),
        queries(alice_client, reverse("notification:history")),
    )

    many = make_application(
        alice, [make_provider() for _ in range(30)], state="completed", agreement=agreement
    )
    for item in many.items.all():
        tell(many, item.provider.code, State.DELIVERED)
    assert queries(alice_client, receipt_url(many)) == counts[0]
    assert queries(alice_client, reverse("notification:history")) == counts[1]
