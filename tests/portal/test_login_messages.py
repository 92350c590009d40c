"""The login page's refusals say what is true: a line locked by its own failures, an address
locked by failures over several lines, a line locked with such an address (seen from elsewhere,
no count claimed), and a suspended or cancelled line with whom to ask."""

import pytest
from django.urls import reverse

from tests.conftest import ALICE_KEY
from tests.factories import make_line
from wso_portal.models import SubscriberLine

LOGIN = reverse("portal:login")
BY_LINE = (
    "このフレッツナンバーでのログインに5回続けて失敗したため、15分間ログインを停止しています。"
)
BY_ADDRESS = (
    "ご利用の接続元からのログインに5回続けて失敗したため、"
    "15分間この接続元からのログインを停止しています。"
)
LINE_LOCKED = "このフレッツナンバーでのログインを一時的に停止しています。"


@pytest.fixture(autouse=True)
def lock_settings(settings):
    settings.WSO_LOCKOUT_FAILURES = 5
    settings.WSO_LOCKOUT_WINDOW_SECONDS = 15 * 60
    settings.WSO_LOCKOUT_SECONDS = 15 * 60


def message(client, flets_number, key="WRNG0000", address="127.0.0.1"):
    response = client.post(
        LOGIN, {"flets_number": flets_number, "access_key": key}, REMOTE_ADDR=address
    )
    (error,) = response.context["form"].non_field_errors()
    return error


def test_a_line_locked_by_its_own_failures_says_so(client, alice):
    for _ in range(4):
        message(client, alice.flets_number)
    assert BY_LINE in message(client, alice.flets_number)
    # From anywhere, with the right key, while locked.
    assert BY_LINE in message(client, alice.flets_number, ALICE_KEY, address="192.0.2.9")


def test_an_address_locked_by_failures_over_several_lines_says_so(client, db, bob):
    for n in range(5):
        message(client, f"0600000000{n}")
    said = message(client, bob.flets_number, "BOBK9876")
    assert BY_ADDRESS in said
    assert "このフレッツナンバー" not in said


def test_a_line_locked_with_a_failing_address_claims_no_count_of_its_own(client, alice):
    for n in range(4):
        message(client, f"0600000000{n}")
    # Alice's first failure is the address's fifth: both are locked, for the address's count.
    assert BY_ADDRESS in message(client, alice.flets_number)
    elsewhere = message(client, alice.flets_number, ALICE_KEY, address="192.0.2.9")
    assert LINE_LOCKED in elsewhere
    assert "回続けて失敗" not in elsewhere


def test_outside_its_own_line_the_address_lock_says_it_is_the_address(client, alice, settings):
    settings.WSO_REQUIRE_OWN_LINE = True
    for _ in range(4):
        message(client, alice.flets_number, ALICE_KEY, address="198.51.100.1")
    assert BY_ADDRESS in message(client, alice.flets_number, ALICE_KEY, address="198.51.100.1")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (
            SubscriberLine.Status.SUSPENDED,
            "ご利用の回線は現在ご利用を停止しているため、ログインできません。",
        ),
        (SubscriberLine.Status.CANCELLED, "ご利用の回線はご解約済みのため、ログインできません。"),
    ],
)
def test_a_suspended_or_cancelled_line_is_told_whom_to_ask(client, db, status, reason):
    line = make_line(status=status, access_key="SUSP1234")
    said = message(client, line.flets_number, "SUSP1234")
    assert said.startswith(reason)
    assert "NTT西日本 お問い合わせセンター（0120-116116" in said


def test_a_line_suspended_during_the_session_is_told_too(alice_client, alice):
    alice.status = SubscriberLine.Status.SUSPENDED
    alice.save()
    html = alice_client.get(reverse("portal:top"), follow=True).content.decode()
    assert "ご利用を停止しているため" in html and "お問い合わせセンター" in html


def test_the_messages_are_english_on_english_screens(client, db):
    line = make_line(status=SubscriberLine.Status.CANCELLED, access_key="SUSP1234")
    client.cookies["django_language"] = "en"
    said = message(client, line.flets_number, "SUSP1234")
    assert "cancelled" in said and "0120-116116" in said
    for n in range(5):
        said = message(client, f"0600000000{n}")
    assert "from your connection" in said
