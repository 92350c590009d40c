import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ALICE_KEY
from tests.factories import make_line
from wso_portal.login import NOT_OWN_LINE, WRONG_PAIR
from wso_portal.models import Lockout, LoginAttempt, SubscriberLine, address_lock_key

LOGIN = reverse("portal:login")
TOP = reverse("portal:top")


def post_login(client, flets_number, access_key, **extra):
    return client.post(LOGIN, {"flets_number": flets_number, "access_key": access_key}, **extra)


def dashed(line):
    n = line.flets_number
    return f"{n[:3]}-{n[3:7]}-{n[7:]}"


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


def inside(line, host=5):
    return str(line.network[host])


def test_it_shows_the_login_form(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<label\s+for="id_flets_number"', html)
    assert re.search(r'<label\s+for="id_access_key"', html)
    assert 'type="password" name="access_key"' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert ">ログイン</button>" in html
    assert "『お申し込み内容のご案内』" in html


def test_it_logs_in_and_opens_the_top_page(client, alice):
    response = post_login(client, alice.flets_number, ALICE_KEY)
    assert response.status_code == 302
    assert response.url == TOP
    assert logged_in_as(client) == str(alice.user.pk)
    assert LoginAttempt.objects.get().reason == "success"


def test_it_accepts_hyphens_spaces_full_width_and_lower_case(client, alice):
    full_width = dashed(alice).translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    response = post_login(client, full_width, " abcd 2345 ")
    assert response.status_code == 302
    assert logged_in_as(client) == str(alice.user.pk)


@pytest.mark.parametrize("flets_number", ["0601234567", "060123456789", "０６０ABCD5678"])
def test_it_explains_a_malformed_flets_number_next_to_the_field(client, alice, flets_number):
    response = post_login(client, flets_number, ALICE_KEY)
    assert response.status_code == 200
    assert response.context["form"].errors["flets_number"] == [
        "フレッツナンバーは数字11桁で入力してください。"
    ]
    assert f'value="{flets_number}"' in response.content.decode()  # kept as typed
    assert not LoginAttempt.objects.exists()


def test_it_requires_both_fields(client, db):
    response = post_login(client, "", "")
    errors = response.context["form"].errors
    assert errors["flets_number"] == ["フレッツナンバーを入力してください。"]
    assert errors["access_key"] == ["アクセスキーを入力してください。"]


def test_it_gives_one_message_for_a_wrong_key_or_an_unknown_line(client, alice):
    wrong_key = post_login(client, alice.flets_number, "ZZZZ9999")
    unknown_line = post_login(client, "09999999999", ALICE_KEY)
    for response in (wrong_key, unknown_line):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [WRONG_PAIR]
        assert re.search(
            r'role="alert"[^>]*>\s*<p>' + WRONG_PAIR + "</p>", response.content.decode()
        )
    assert logged_in_as(client) is None
    assert list(LoginAttempt.objects.values_list("reason", flat=True)) == ["wrong", "wrong"]


def test_it_does_not_log_in_a_staff_account_through_the_portal(client, operator):
    assert post_login(client, "00000000000", "OPERATOR").status_code == 200
    assert logged_in_as(client) is None


@pytest.mark.parametrize(
    "status", [SubscriberLine.Status.SUSPENDED, SubscriberLine.Status.CANCELLED]
)
def test_it_refuses_a_suspended_or_cancelled_line_with_the_right_key(client, db, status):
    line = make_line(status=status, access_key="SUSP1234")
    response = post_login(client, line.flets_number, "SUSP1234")
    (message,) = response.context["form"].non_field_errors()
    assert "ログインできません。" in message and "お問い合わせセンター" in message
    assert logged_in_as(client) is None


def test_it_gives_the_generic_message_to_a_suspended_line_with_a_wrong_key(client, db):
    line = make_line(status=SubscriberLine.Status.SUSPENDED, access_key="SUSP1234")
    response = post_login(client, line.flets_number, "WRNG1234")
    assert response.context["form"].non_field_errors() == [WRONG_PAIR]


def test_it_sends_a_logged_in_subscriber_from_login_to_the_top_page(alice_client):
    response = alice_client.get(LOGIN)
    assert response.status_code == 302
    assert response.url == TOP


def test_it_returns_to_the_page_that_asked_for_login(client, alice):
    detail = reverse("portal:service_detail", args=["security"])
    response = client.get(detail)
    assert response.status_code == 302
    form_page = client.get(response.url)
    assert form_page.context["next"] == detail
    response = client.post(
        LOGIN, {"flets_number": alice.flets_number, "access_key": ALICE_KEY, "next": detail}
    )
    assert response.url == detail


def test_it_never_redirects_to_another_site(client, alice):
    response = client.post(
        LOGIN,
        {
            "flets_number": alice.flets_number,
            "access_key": ALICE_KEY,
            "next": "https://evil.example/",
        },
    )
    assert response.url == TOP


def test_it_enforces_csrf_on_login(alice):
    client = Client(enforce_csrf_checks=True)
    assert post_login(client, alice.flets_number, ALICE_KEY).status_code == 403
    token = client.get(LOGIN).context["csrf_token"]
    response = client.post(
        LOGIN,
        {"flets_number": alice.flets_number, "access_key": ALICE_KEY, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert logged_in_as(client) == str(alice.user.pk)


# Lockout -------------------------------------------------------------------------------------


@pytest.fixture
def lock_settings(settings):
    settings.WSO_LOCKOUT_FAILURES = 5
    settings.WSO_LOCKOUT_WINDOW_SECONDS = 15 * 60
    settings.WSO_LOCKOUT_SECONDS = 15 * 60
    return settings


def fail(client, line_or_number, times, **extra):
    number = getattr(line_or_number, "flets_number", line_or_number)
    response = None
    for _ in range(times):
        response = post_login(client, number, "WRNG0000", **extra)
    return response


def message_of(response):
    return response.context["form"].non_field_errors()[0]


def test_it_locks_the_line_and_the_address_after_five_failures(client, alice, lock_settings):
    assert message_of(fail(client, alice, 4)) == WRONG_PAIR
    fifth = fail(client, alice, 1)
    assert "5回続けて失敗" in message_of(fifth)
    assert "15分間" in message_of(fifth)
    assert set(Lockout.objects.values_list("kind", "key")) == {
        ("line", alice.flets_number),
        ("address", "127.0.0.1"),
    }
    # Now even the right key is refused, from anywhere.
    response = post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR="192.0.2.7")
    assert "15分間" in message_of(response)
    assert logged_in_as(client) is None


def test_the_locked_address_cannot_try_other_lines(client, alice, bob, lock_settings):
    fail(client, "09999999999", 5)
    response = post_login(client, bob.flets_number, "BOBK9876")
    assert "ログインを停止" in message_of(response)
    # Bob from his own address is fine.
    response = post_login(client, bob.flets_number, "BOBK9876", REMOTE_ADDR="192.0.2.8")
    assert response.status_code == 302


def test_failures_spread_over_addresses_still_lock_the_line(client, alice, lock_settings):
    for n in range(5):
        fail(client, alice, 1, REMOTE_ADDR=f"192.0.2.{n + 1}")
    response = post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR="192.0.2.99")
    assert "ログインを停止" in message_of(response)


def test_the_numbers_come_from_settings(client, alice, settings):
    settings.WSO_LOCKOUT_FAILURES = 2
    settings.WSO_LOCKOUT_SECONDS = 5 * 60
    assert message_of(fail(client, alice, 1)) == WRONG_PAIR
    message = message_of(fail(client, alice, 1))
    assert "2回続けて失敗" in message
    assert "5分間" in message
    lock = Lockout.objects.get(kind="line")
    assert timedelta(seconds=299) < lock.until - timezone.now() <= timedelta(seconds=300)


def test_failures_outside_the_window_do_not_count(client, alice, lock_settings):
    fail(client, alice, 4)
    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert message_of(fail(client, alice, 1)) == WRONG_PAIR
    assert not Lockout.objects.exists()


def test_a_success_resets_the_line_count(client, alice, lock_settings):
    fail(client, alice, 4)
    assert post_login(client, alice.flets_number, ALICE_KEY).status_code == 302
    client.logout()
    fail(client, alice, 1, REMOTE_ADDR="192.0.2.50")
    assert not Lockout.objects.filter(kind="line").exists()


def test_the_lock_expires(client, alice, lock_settings):
    fail(client, alice, 5)
    past = timezone.now() - timedelta(seconds=1)
    Lockout.objects.update(until=past)
    # The failures that caused the lock are spent: one more does not lock again.
    assert message_of(fail(client, alice, 1)) == WRONG_PAIR
    assert post_login(client, alice.flets_number, ALICE_KEY).status_code == 302


def test_attempts_while_locked_do_not_extend_the_lock(client, alice, lock_settings):
    fail(client, alice, 5)
    fail(client, alice, 3)
    assert Lockout.objects.count() == 2


# Own-line check ------------------------------------------------------------------------------


@pytest.fixture
def own_line(lock_settings):
    lock_settings.WSO_REQUIRE_OWN_LINE = True
    return lock_settings


def test_own_line_on_lets_the_line_log_in_from_inside_its_prefix(client, alice, own_line):
    response = post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR=inside(alice))
    assert response.status_code == 302


def test_own_line_on_refuses_a_client_outside_the_prefix(client, alice, bob, own_line):
    for address in ("127.0.0.1", inside(bob)):
        response = post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR=address)
        assert message_of(response) == NOT_OWN_LINE
    assert logged_in_as(client) is None


def test_own_line_on_an_unknown_line_gets_the_same_sentence(client, alice, own_line):
    response = post_login(client, "09999999999", ALICE_KEY, REMOTE_ADDR=inside(alice))
    assert message_of(response) == NOT_OWN_LINE


def test_own_line_on_an_outside_client_cannot_lock_the_line(client, alice, bob, own_line):
    outsider = inside(bob)
    for _ in range(10):
        post_login(client, alice.flets_number, "WRNG0000", REMOTE_ADDR=outsider)
    assert not Lockout.objects.filter(kind="line").exists()
    assert Lockout.objects.filter(kind="address", key=address_lock_key(outsider)).exists()
    assert LoginAttempt.objects.filter(reason="wrong").count() == 0  # the key was never tried
    response = post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR=inside(alice))
    assert response.status_code == 302


def test_own_line_on_failures_from_inside_still_lock(client, alice, own_line):
    fail(client, alice, 5, REMOTE_ADDR=inside(alice))
    assert Lockout.objects.filter(kind="line", key=alice.flets_number).exists()


def test_own_line_off_accepts_any_address(client, alice, settings):
    settings.WSO_REQUIRE_OWN_LINE = False
    response = post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 302


def test_the_client_address_header_is_used_behind_a_proxy(client, alice, own_line):
    own_line.WSO_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    own_line.WSO_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The client may put anything first; the proxy's own entry is the last one.
    response = post_login(
        client,
        alice.flets_number,
        ALICE_KEY,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"{inside(alice, 9)}, 203.0.113.5",
    )
    assert message_of(response) == NOT_OWN_LINE
    response = post_login(
        client,
        alice.flets_number,
        ALICE_KEY,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"203.0.113.5, {inside(alice, 9)}",
    )
    assert response.status_code == 302
    assert LoginAttempt.objects.filter(client_address=inside(alice, 9)).exists()


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right(db, client, settings):
    settings.WSO_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    settings.WSO_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.WSO_TRUSTED_PROXY_HOPS = 2
    post_login(
        client,
        "06000000000",
        "WRNG0000",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.9, 192.0.2.10",
    )
    assert LoginAttempt.objects.get().client_address == "203.0.113.9"


def test_the_header_is_ignored_when_not_configured(client, alice, own_line):
    own_line.WSO_CLIENT_ADDRESS_HEADER = ""
    response = post_login(client, alice.flets_number, ALICE_KEY, HTTP_X_FORWARDED_FOR=inside(alice))
    assert message_of(response) == NOT_OWN_LINE


def test_the_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(db, client, lock_settings):
    lock_settings.WSO_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    lock_settings.WSO_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # Reaching the server directly, rotating the header: every failure counts for the peer.
    for n in range(1, 6):
        post_login(
            client,
            f"0600000000{n}",
            "WRNG0000",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    assert set(LoginAttempt.objects.values_list("client_address", flat=True)) == {"198.51.100.7"}
    assert Lockout.objects.filter(kind="address", key="198.51.100.7").exists()
    # Nor can it lock somebody else's address by naming it.
    assert not Lockout.objects.filter(key__startswith="203.0.113.").exists()


def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.WSO_TRUSTED_PROXIES = ["10.0.0.0/24"]
    forged = client.get(LOGIN, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301 and forged.url.startswith("https://")
    proxied = Client().get(LOGIN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


def test_an_ipv6_client_rotating_within_its_64_is_locked_as_one(db, client, lock_settings):
    for host in range(1, 6):
        fail(client, f"0600000000{host}", 1, REMOTE_ADDR=f"2001:db8:aaaa:1::{host:x}")
    assert Lockout.objects.filter(kind="address", key="2001:db8:aaaa:1::/64").exists()
    locked = fail(client, "06000000009", 1, REMOTE_ADDR="2001:db8:aaaa:1:ffff::1")
    assert "5回続けて失敗" in message_of(locked)
    elsewhere = fail(client, "06000000009", 1, REMOTE_ADDR="2001:db8:aaaa:2::1")
    assert message_of(elsewhere) == WRONG_PAIR


def test_an_ipv4_client_is_locked_by_its_own_address(db, client, lock_settings):
    for n in range(1, 6):
        fail(client, f"0600000000{n}", 1, REMOTE_ADDR="192.0.2.1")
    assert Lockout.objects.filter(kind="address", key="192.0.2.1").exists()
    assert message_of(fail(client, "06000000009", 1, REMOTE_ADDR="192.0.2.2")) == WRONG_PAIR


# Logging -------------------------------------------------------------------------------------


def test_every_outcome_is_logged_without_the_key(client, alice, caplog, lock_settings):
    caplog.set_level(logging.INFO, logger="wso_portal.login")
    post_login(client, dashed(alice), "ｗｒｎｇ－0000")
    post_login(client, dashed(alice), "abcd-2345")
    records = [r for r in caplog.records if r.name == "wso_portal.login"]
    assert [r.levelname for r in records] == ["WARNING", "INFO"]
    for record in records:
        text = record.getMessage()
        assert f"flets_number={alice.flets_number}" in text
        assert "address=127.0.0.1" in text
        for secret in ("WRNG", "wrng", "ｗｒｎｇ", ALICE_KEY, "abcd"):
            assert secret not in text
            assert secret not in str(record.args)
    assert "outcome=wrong" in records[0].getMessage()
    assert "login success" in records[1].getMessage()


def test_locked_and_own_line_refusals_are_logged(client, alice, bob, caplog, own_line):
    caplog.set_level(logging.INFO, logger="wso_portal.login")
    post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR=inside(bob))
    assert "outcome=not_own_line" in caplog.records[-1].getMessage()
    fail(client, alice, 5, REMOTE_ADDR=inside(alice))
    post_login(client, alice.flets_number, ALICE_KEY, REMOTE_ADDR=inside(alice))
    assert "outcome=locked" in caplog.records[-1].getMessage()


# Admin login ---------------------------------------------------------------------------------


def test_a_subscriber_cannot_authenticate_through_the_admin_login(client, alice):
    response = client.post(
        reverse("admin:login"), {"username": alice.flets_number, "password": ALICE_KEY}
    )
    assert response.status_code == 200
    assert logged_in_as(client) is None


def test_an_operator_can_log_in_to_the_admin(client, operator):
    response = client.post(
        reverse("admin:login"), {"username": "operator", "password": "operator-pass-2026"}
    )
    assert response.status_code == 302
    assert logged_in_as(client) == str(operator.pk)
