"""Operators' admin login: the subscribers' lockout (per username and per address), logged;
the TOTP second factor under WSO_ADMIN_REQUIRE_MFA; enrolment with operator_totp; and the
per-address login rate that stops before any password is hashed."""

import base64
import io
import logging
import re
import urllib.parse

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import ALICE_KEY
from wso_portal.login import TOO_MANY_ATTEMPTS, WRONG_OPERATOR, WRONG_OPERATOR_WITH_CODE
from wso_portal.models import Lockout, LoginAttempt

ADMIN_LOGIN = reverse("admin:login")
ADMIN_INDEX = reverse("admin:index")
PORTAL_LOGIN = reverse("portal:login")
PASSWORD = "operator-pass-2026"  # the operator fixture's


def admin_login(client, username, password, code=None, **extra):
    data = {"username": username, "password": password, "next": ADMIN_INDEX}
    if code is not None:
        data["otp_token"] = code
    return client.post(ADMIN_LOGIN, data, **extra)


def errors_of(response):
    return response.context["form"].non_field_errors()


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def lock_settings(settings):
    settings.WSO_LOCKOUT_FAILURES = 5
    settings.WSO_LOCKOUT_WINDOW_SECONDS = 15 * 60
    settings.WSO_LOCKOUT_SECONDS = 15 * 60
    return settings


@pytest.fixture
def mfa(settings):
    settings.WSO_ADMIN_REQUIRE_MFA = True
    return settings


def enrol(user) -> TOTPDevice:
    out = io.StringIO()
    call_command("operator_totp", user.username, stdout=out)
    return TOTPDevice.objects.get(user=user)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# The lockout ----------------------------------------------------------------------------------


def test_it_refuses_the_right_password_after_twelve_wrong_ones(client, operator, lock_settings):
    for n in range(12):
        admin_login(client, "operator", f"wrong-{n}")
    response = admin_login(client, "operator", PASSWORD)
    assert response.status_code == 200
    assert "5回続けて失敗" in errors_of(response)[0]
    assert "15分間この接続元からのログインを停止しています。" in errors_of(response)[0]
    assert logged_in_as(client) is None
    assert set(Lockout.objects.values_list("kind", "key")) == {
        ("operator", "operator"),
        ("address", "127.0.0.1"),
    }
    # Attempts while locked do not reach the password.
    assert LoginAttempt.objects.filter(kind="operator", reason="wrong").count() == 5
    assert LoginAttempt.objects.filter(kind="operator", reason="locked").count() == 8


def test_it_gives_one_message_for_a_wrong_username_or_password(client, operator, alice):
    responses = [
        admin_login(client, "operator", "wrong-password"),
        admin_login(client, "nobody", PASSWORD),
        admin_login(client, alice.flets_number, ALICE_KEY),  # a subscriber's account
    ]
    for response in responses:
        assert response.status_code == 200
        assert errors_of(response) == [WRONG_OPERATOR]
        assert WRONG_OPERATOR in response.content.decode()
    assert logged_in_as(client) is None
    assert list(LoginAttempt.objects.order_by("at").values_list("kind", "flets_number")) == [
        ("operator", "operator"),
        ("operator", "nobody"),
        ("operator", alice.flets_number),
    ]


def test_the_username_locks_whatever_the_address(client, operator, lock_settings):
    for n in range(5):
        admin_login(client, "operator", "wrong", REMOTE_ADDR=f"192.0.2.{n + 1}")
    response = admin_login(client, "operator", PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert "ログインを停止" in errors_of(response)[0]
    assert logged_in_as(client) is None


def test_the_address_locks_across_usernames_and_for_the_portal_too(
    client, operator, alice, lock_settings
):
    for name in ("admin", "root", "ops", "operator1", "staff"):
        admin_login(client, name, "wrong", REMOTE_ADDR="203.0.113.9")
    assert Lockout.objects.filter(kind="address", key="203.0.113.9").exists()
    assert not Lockout.objects.filter(kind="operator", key="operator").exists()

    response = admin_login(client, "operator", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert "ログインを停止" in errors_of(response)[0]
    # One lockout: the same address cannot go on guessing access keys either.
    response = client.post(
        PORTAL_LOGIN,
        {"flets_number": alice.flets_number, "access_key": ALICE_KEY},
        REMOTE_ADDR="203.0.113.9",
    )
    assert "ログインを停止" in response.context["form"].non_field_errors()[0]
    # The operator from elsewhere is fine.
    response = admin_login(client, "operator", PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 302


def test_a_line_locked_at_the_portal_does_not_lock_an_operator_of_that_name(
    client, db, lock_settings
):
    get_user_model().objects.create_user(username="09999999999", password=PASSWORD, is_staff=True)
    for n in range(5):
        client.post(
            PORTAL_LOGIN,
            {"flets_number": "09999999999", "access_key": "WRNG0000"},
            REMOTE_ADDR=f"192.0.2.{n + 1}",
        )
    assert Lockout.objects.filter(kind="line", key="09999999999").exists()
    response = admin_login(client, "09999999999", PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 302


def test_a_success_resets_the_username_count(client, operator, lock_settings):
    for n in range(4):
        admin_login(client, "operator", "wrong", REMOTE_ADDR=f"192.0.2.{n + 1}")
    assert admin_login(client, "operator", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 302
    Client().post(
        ADMIN_LOGIN, {"username": "operator", "password": "wrong"}, REMOTE_ADDR="192.0.2.50"
    )
    assert not Lockout.objects.filter(kind="operator").exists()


def test_an_operator_lifts_the_lock_in_the_admin(client, operator, lock_settings):
    for _ in range(5):
        admin_login(client, "operator", "wrong")
    assert "ログインを停止" in errors_of(admin_login(client, "operator", PASSWORD))[0]

    chief = get_user_model().objects.create_superuser(username="chief", password="chief-2026")
    chiefs_client = Client()
    chiefs_client.force_login(chief)
    locks = list(Lockout.objects.filter(until__isnull=False).values_list("pk", flat=True))
    assert len(locks) == 2  # the username and the address
    response = chiefs_client.post(
        reverse("admin:wso_portal_lockout_changelist"),
        {"action": "lift", "_selected_action": locks},
        follow=True,
    )
    assert "2件のロックを解除しました。" in response.content.decode()

    response = admin_login(client, "operator", PASSWORD)
    assert response.status_code == 302
    assert logged_in_as(client) == str(operator.pk)


def test_the_lock_page_lists_operator_locks(admin_client, lock_settings):
    for _ in range(5):
        Client().post(ADMIN_LOGIN, {"username": "someone", "password": "wrong"})
    response = admin_client.get(
        reverse("admin:wso_portal_lockout_changelist"), {"kind__exact": "operator"}
    )
    assert response.status_code == 200
    assert "運用者" in response.content.decode()
    assert "someone" in response.content.decode()


# Logging --------------------------------------------------------------------------------------


def test_every_outcome_is_logged_without_the_password(client, operator, caplog, lock_settings):
    caplog.set_level(logging.INFO, logger="wso_portal.login")
    admin_login(client, "operator", "secret-guess-1")
    admin_login(client, "nobody", "secret-guess-2")
    admin_login(client, "operator", PASSWORD)
    records = [r for r in caplog.records if r.name == "wso_portal.login"]
    assert [r.getMessage() for r in records] == [
        "admin login failure username=operator address=127.0.0.1 outcome=wrong",
        "admin login failure username=nobody address=127.0.0.1 outcome=wrong",
        "admin login success username=operator address=127.0.0.1",
    ]
    for record in records:
        for secret in ("secret-guess", PASSWORD):
            assert secret not in record.getMessage()
            assert secret not in str(record.args)


def test_locked_refusals_are_logged(client, operator, caplog, lock_settings):
    caplog.set_level(logging.INFO, logger="wso_portal.login")
    for _ in range(6):
        admin_login(client, "operator", "wrong")
    assert caplog.records[-1].getMessage() == (
        "admin login failure username=operator address=127.0.0.1 outcome=locked"
    )


def test_a_username_cannot_forge_log_fields_or_lines(client, db, caplog):
    caplog.set_level(logging.INFO, logger="wso_portal.login")
    admin_login(client, "x outcome=success\nadmin login success username=operator", "wrong")
    message = caplog.records[-1].getMessage()
    assert "\n" not in message
    assert message.startswith('admin login failure username="x outcome=success\\nadmin')
    assert message.endswith("address=127.0.0.1 outcome=wrong")


def test_a_long_username_is_recorded(client, db):
    response = admin_login(client, "u" * 150, "wrong")
    assert errors_of(response) == [WRONG_OPERATOR]
    assert LoginAttempt.objects.get().flets_number == "u" * 150


# The second factor ----------------------------------------------------------------------------


def test_with_mfa_off_there_is_no_code_field_and_the_password_is_enough(client, operator):
    assert 'name="otp_token"' not in client.get(ADMIN_LOGIN).content.decode()
    response = admin_login(client, "operator", PASSWORD)
    assert response.status_code == 302
    assert client.get(ADMIN_INDEX).status_code == 200


def test_with_mfa_on_the_login_page_asks_for_the_code(client, db, mfa):
    html = client.get(ADMIN_LOGIN).content.decode()
    assert re.search(r'<label for="id_otp_token"[^>]*>確認コード:</label>', html)
    assert 'autocomplete="one-time-code"' in html


def test_with_mfa_on_the_password_alone_is_refused(client, operator, mfa):
    enrol(operator)
    response = admin_login(client, "operator", PASSWORD)
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"] == ["確認コードを入力してください。"]
    assert logged_in_as(client) is None
    assert not LoginAttempt.objects.exists()  # nothing was checked


def test_with_mfa_on_the_password_and_the_current_code_log_in(client, operator, mfa):
    device = enrol(operator)
    response = admin_login(client, "operator", PASSWORD, current_code(device))
    assert response.status_code == 302
    assert response.url == ADMIN_INDEX
    assert client.get(ADMIN_INDEX).status_code == 200
    assert LoginAttempt.objects.get().reason == "success"


def test_with_mfa_on_a_wrong_code_gets_the_one_message_and_counts(
    client, operator, mfa, lock_settings
):
    device = enrol(operator)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = admin_login(client, "operator", PASSWORD, wrong)
    assert errors_of(response) == [WRONG_OPERATOR_WITH_CODE]
    response = admin_login(client, "operator", "wrong-password", current_code(device))
    assert errors_of(response) == [WRONG_OPERATOR_WITH_CODE]
    assert logged_in_as(client) is None
    assert list(LoginAttempt.objects.order_by("at").values_list("reason", flat=True)) == [
        "wrong_code",
        "wrong",
    ]
    for _ in range(3):
        admin_login(client, "operator", PASSWORD, wrong)
    assert Lockout.objects.filter(kind="operator", key="operator").exists()


def test_with_mfa_on_an_operator_without_a_device_cannot_log_in(client, operator, mfa):
    response = admin_login(client, "operator", PASSWORD, "123456")
    assert errors_of(response) == [WRONG_OPERATOR_WITH_CODE]
    assert logged_in_as(client) is None


def test_with_mfa_on_a_session_without_the_code_does_not_open_the_admin(
    admin_client, operator, mfa
):
    # admin_client logged in with the password only (force_login): not verified.
    response = admin_client.get(ADMIN_INDEX)
    assert response.status_code == 302
    assert response.url.startswith(ADMIN_LOGIN)


def test_with_mfa_off_a_logged_in_operator_opens_the_admin(admin_client):
    assert admin_client.get(ADMIN_INDEX).status_code == 200


# Enrolment: manage.py operator_totp ----------------------------------------------------------


def test_operator_totp_creates_a_confirmed_device_and_prints_its_uri_once(operator):
    out = io.StringIO()
    call_command("operator_totp", "operator", stdout=out)
    device = TOTPDevice.objects.get(user=operator)
    assert device.confirmed
    text = out.getvalue()
    assert "認証アプリ" in text and "一度だけ" in text
    uri = re.search(r"otpauth://totp/\S+", text).group(0)
    assert uri == device.config_url
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key


def test_operator_totp_again_replaces_the_device(operator, mfa):
    first = enrol(operator)
    second = enrol(operator)
    assert list(TOTPDevice.objects.filter(user=operator)) == [second]
    assert first.key != second.key
    response = admin_login(Client(), "operator", PASSWORD, current_code(second))
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["nobody", "line"])
def test_operator_totp_refuses_anyone_but_an_operator(alice, who):
    username = alice.flets_number if who == "line" else who
    with pytest.raises(CommandError):
        call_command("operator_totp", username, stdout=io.StringIO())
    assert not TOTPDevice.objects.exists()


# The login rate: a bounded hashing cost per address --------------------------------------------


class CountingHasher(MD5PasswordHasher):
    """MD5 (as in the test settings) that counts the hashes computed."""

    hashes = 0

    def encode(self, password, salt):
        CountingHasher.hashes += 1
        return super().encode(password, salt)


@pytest.fixture
def login_rate(settings):
    settings.WSO_LOGIN_RATE = "3/d"  # a long period: no window ends during a test
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    cache.clear()
    yield settings
    cache.clear()


def test_over_the_rate_the_admin_login_answers_429_before_any_hash(client, operator, login_rate):
    for _ in range(3):
        assert admin_login(client, "operator", "wrong").status_code == 200
    attempts, hashes = LoginAttempt.objects.count(), CountingHasher.hashes
    assert attempts == 3 and hashes >= 3

    response = admin_login(client, "operator", PASSWORD)
    assert response.status_code == 429
    assert errors_of(response) == [TOO_MANY_ATTEMPTS]
    assert TOO_MANY_ATTEMPTS in response.content.decode()
    assert logged_in_as(client) is None
    assert LoginAttempt.objects.count() == attempts
    assert CountingHasher.hashes == hashes
    assert not Lockout.objects.exists()


def test_the_portal_and_the_admin_share_the_rate_of_an_address(client, alice, login_rate):
    for _ in range(3):
        admin_login(client, "operator", "wrong", REMOTE_ADDR="2001:db8:5:6::1")
    hashes = CountingHasher.hashes
    # Another address in the same /64, at the portal now.
    response = client.post(
        PORTAL_LOGIN,
        {"flets_number": alice.flets_number, "access_key": ALICE_KEY},
        REMOTE_ADDR="2001:db8:5:6::99",
    )
    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [TOO_MANY_ATTEMPTS]
    assert re.search(r'role="alert"[^>]*>\s*<p>' + TOO_MANY_ATTEMPTS, response.content.decode())
    assert logged_in_as(client) is None
    assert CountingHasher.hashes == hashes
    assert LoginAttempt.objects.count() == 3
    # Another /64 has its own count.
    response = client.post(
        PORTAL_LOGIN,
        {"flets_number": alice.flets_number, "access_key": ALICE_KEY},
        REMOTE_ADDR="2001:db8:5:7::1",
    )
    assert response.status_code == 302


def test_the_rate_counts_successes_too(client, operator, caplog, login_rate):
    caplog.set_level(logging.INFO, logger="wso_portal.login")
    for _ in range(3):
        assert admin_login(Client(), "operator", PASSWORD).status_code == 302
    response = admin_login(client, "operator", PASSWORD)
    assert response.status_code == 429
    records = [r for r in caplog.records if r.name == "wso_portal.login"]
    assert records[-1].getMessage() == "login refused address=127.0.0.1 outcome=rate_limited"


def test_a_get_of_the_login_page_is_not_counted(client, db, login_rate):
    for _ in range(5):
        assert client.get(ADMIN_LOGIN).status_code == 200
        assert client.get(PORTAL_LOGIN).status_code == 200
