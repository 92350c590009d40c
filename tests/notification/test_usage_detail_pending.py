"""ご利用状況詳細 shows the line's applications still in 工事, 通知する ones included (they are
nowhere else on the page until applied), each linking to its receipt."""

import pytest
from django.urls import reverse

from tests.factories import make_application, make_provider, set_notify

pytestmark = pytest.mark.django_db

USAGE = reverse("notification:usage_detail")


def pending_table(html: str) -> str:
    start = html.index('data-testid="pending-table"')
    return html[start : html.index("</table>", start)]


def test_it_shows_a_notify_application_in_work_with_its_providers(alice_client, alice):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    application = make_application(alice, [provider], direction="notify", state="in_progress")
    html = alice_client.get(USAGE).content.decode()
    assert "「通知する」に設定されているサービス提供者はありません。" in html
    assert "工事中のお申し込み" in html
    table = pending_table(html)
    receipt = reverse("notification:receipt", args=[application.receipt_number])
    assert f'<a href="{receipt}">{application.receipt_number}</a>' in table
    assert "試験用 / W0099 NTT西日本(試験用)" in table
    assert "通知する" in table and "工事中" in table


def test_it_shows_a_received_stop_application_too(alice_client, alice):
    provider = make_provider(code="W0100")
    set_notify(alice, provider)
    application = make_application(alice, [provider], direction="stop", state="received")
    table = pending_table(alice_client.get(USAGE).content.decode())
    assert application.receipt_number in table and "通知しない" in table


def test_it_lists_the_first_five_providers_and_counts_the_rest(alice_client, alice):
    providers = [make_provider(code=f"W{n:04d}") for n in range(7)]
    make_application(alice, providers, direction="notify")
    table = pending_table(alice_client.get(USAGE).content.decode())
    assert "W0004" in table and "W0005" not in table
    assert "ほか2件" in table


@pytest.mark.parametrize("state", ["completed", "failed", "cancelled"])
def test_it_leaves_out_applications_no_longer_in_work(alice_client, alice, state):
    make_application(alice, [make_provider()], direction="notify", state=state)
    assert "工事中のお申し込み" not in alice_client.get(USAGE).content.decode()


def test_it_never_shows_another_lines_application(alice_client, bob):
    make_application(bob, [make_provider()], direction="notify")
    assert "工事中のお申し込み" not in alice_client.get(USAGE).content.decode()
