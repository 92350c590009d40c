"""The console's accounts and login: provider users, their one-time password link, the login
with the portal's lockout and rate, TOTP enrolment where required, the 8-hour session, and the
audit entries of each step."""

import io
import re
import time
from base64 import b32decode

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from console.accounts import WRONG, WRONG_WITH_CODE
from console.models import ProviderUser
from wso_portal.login import TOO_MANY_ATTEMPTS
from wso_portal.models import Lockout, LoginAttempt
from wso_portal.sessions import LOGGED_IN_AT

from .conftest import PASSWORD

LOGIN = reverse("console:login")
DASHBOARD = reverse("console:dashboard")
ENROL = reverse("console:enrol")


def log_in(client, email, password, code=None, **extra):
    data = {"email": email, "password": password}
    if code is not None:
        data["otp_token"] = code
    return client.post(LOGIN, data, **extra)


def errors_of(response):
    return response.context["form"].non_field_errors()


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def mfa(settings):
    settings.WSO_CONSOLE_REQUIRE_MFA = True
    return settings


# Accounts ---------------------------------------------------------------------------------------


def test_provider_user_create_prints_a_link_that_sets_the_password_once(client, w0099):
    out = io.StringIO()
    call_command("provider_user", "create", "W0099", "Erin@Example.JP", stdout=out)
    link = re.search(r"http://127\.0\.0\.1:8000(/provider/password/\S+/)", out.getvalue())[1]
    user = get_user_model().objects.get(username="erin@example.jp")
    assert user.provider_user.provider == w0099
    assert not user.is_staff and not user.has_usable_password()

    assert client.get(link).status_code == 200
    response = client.post(
        link, {"new_password1": "a-long-new-pass-2026", "new_password2": "a-long-new-pass-2026"}
    )
    assert response.status_code == 302 and response.url == LOGIN
    user.refresh_from_db()
    assert user.check_password("a-long-new-pass-2026")
    assert client.get(link).status_code == 404  # used once
    entry = AuditEntry.objects.get(action="set_password")
    assert entry.operator == "erin@example.jp" and entry.details["provider"] == "W0099"


def test_provider_user_create_refuses_an_unknown_provider_and_a_taken_address(carol):
    with pytest.raises(CommandError, match="W9999"):
        call_command("provider_user", "create", "W9999", "x@example.jp", stdout=io.StringIO())
    with pytest.raises(CommandError, match="既に登録"):
        call_command("provider_user", "create", "W0099", carol.email, stdout=io.StringIO())


def test_an_operator_creates_a_provider_user_in_the_admin_and_sees_the_link(admin_client, w0099):
    response = admin_client.post(
        reverse("admin:console_provideruser_add"),
        {"provider": w0099.pk, "email": "frank@example.jp"},
    )
    assert response.status_code == 200
    assert "/provider/password/" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert ProviderUser.objects.get().email == "frank@example.jp"
    entry = AuditEntry.objects.get(action="add", target_type="console.ProviderUser")
    assert entry.operator == "operator" and entry.details == {"provider": "W0099"}


def test_a_provider_user_cannot_open_the_admin(client, carol):
    response = client.post(reverse("admin:login"), {"username": carol.email, "password": PASSWORD})
    assert response.status_code == 200 and client.session.get(SESSION_KEY) is None
    client.force_login(carol.user, backend="console.backends.ProviderUserBackend")
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin's login


def test_a_provider_user_cannot_open_the_subscriber_pages(carol_client):
    response = carol_client.get(reverse("portal:top"))
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))
    assert carol_client.get(reverse("providers:history")).status_code == 302


def test_a_subscriber_or_an_operator_cannot_open_the_console(client, alice, operator, db):
    client.force_login(alice.user)
    assert client.get(DASHBOARD).status_code == 403
    client.force_login(operator)
    assert client.get(DASHBOARD).status_code == 403


def test_the_subscriber_and_admin_logins_do_not_take_a_provider_user(client, carol):
    response = client.post(
        reverse("portal:login"), {"flets_number": carol.email, "access_key": PASSWORD}
    )
    assert client.session.get(SESSION_KEY) is None
    assert response.status_code == 200


# Login --------------------------------------------------------------------------------------


def test_the_login_page_has_the_labels_and_no_code_field_without_mfa(client, db):
    html = client.get(LOGIN).content.decode()
    assert re.search(r"<label[^>]*>\s*メールアドレス", html)
    assert re.search(r"<label[^>]*>\s*パスワード", html)
    assert 'name="otp_token"' not in html


def test_the_right_password_logs_in_and_is_audited(client, carol):
    response = log_in(client, "Carol@W0099.example.jp ", PASSWORD)
    assert response.status_code == 302 and response.url == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    entry = AuditEntry.objects.get(action="login")
    assert entry.operator == carol.email and entry.operator_pk == carol.user.pk
    assert entry.details == {"provider": "W0099", "via": "console"}
    assert LoginAttempt.objects.get().kind == "provider"


def test_a_wrong_password_gets_one_message_and_is_audited(client, carol):
    response = log_in(client, carol.email, "wrong")
    assert errors_of(response) == [WRONG]
    response = log_in(client, "nobody@example.jp", PASSWORD)
    assert errors_of(response) == [WRONG]
    assert client.session.get(SESSION_KEY) is None
    assert AuditEntry.objects.filter(action="login_failed").count() == 2


def test_the_account_locks_after_the_portal_lockouts_failures(client, carol, settings):
    settings.WSO_LOCKOUT_FAILURES = 3
    for _ in range(3):
        log_in(client, carol.email, "wrong")
    assert Lockout.objects.filter(kind="provider", key=carol.email).exists()
    response = log_in(client, carol.email, PASSWORD)
    assert "ログインを停止しています" in errors_of(response)[0]
    assert client.session.get(SESSION_KEY) is None


def test_over_the_login_rate_it_answers_429(client, carol, settings):
    settings.WSO_LOGIN_RATE = "2/d"
    cache.clear()
    try:
        log_in(client, carol.email, "wrong")
        log_in(client, carol.email, "wrong")
        response = log_in(client, carol.email, PASSWORD)
        assert response.status_code == 429
        assert errors_of(response) == [TOO_MANY_ATTEMPTS]
        assert client.session.get(SESSION_KEY) is None
    finally:
        cache.clear()


def test_logout_is_audited_and_ends_the_session(carol_client):
    response = carol_client.post(reverse("console:logout"))
    assert response.status_code == 302
    assert carol_client.get(DASHBOARD).status_code == 302
    assert AuditEntry.objects.get(action="logout").details["provider"] == "W0099"


def test_the_session_ends_8_hours_after_the_login_however_busy(client, carol):
    log_in(client, carol.email, PASSWORD)
    session = client.session
    session[LOGGED_IN_AT] = int(time.time()) - 8 * 3600 - 1
    session.save()
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_a_next_outside_the_console_is_ignored(client, carol):
    response = client.post(
        LOGIN, {"email": carol.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == DASHBOARD


# TOTP ---------------------------------------------------------------------------------------


def test_with_mfa_the_first_login_enrols_with_a_server_drawn_qr_code(client, carol, mfa):
    mfa.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code below would hold the right one back 1 s
    html = client.get(LOGIN).content.decode()
    assert re.search(r"<label[^>]*>\s*確認コード", html)
    response = log_in(client, carol.email, PASSWORD)
    assert response.status_code == 302 and response.url == ENROL
    assert client.session.get(SESSION_KEY) is None
    page = client.get(ENROL)
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    assert "no-store" in page["Cache-Control"]
    device = TOTPDevice.objects.get(user=carol.user, confirmed=False)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)[1].replace(" ", "")
    assert b32decode(secret) == device.bin_key

    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"otp_token": wrong})
    assert "確認コードが正しくありません。" in response.content.decode()
    response = client.post(ENROL, {"otp_token": current_code(device)})
    assert response.status_code == 302 and response.url == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="enrol_totp", operator=carol.email).exists()


def test_with_mfa_an_enrolled_user_needs_the_current_code(client, carol, mfa):
    device = TOTPDevice.objects.create(user=carol.user, name="x", confirmed=True)
    response = log_in(client, carol.email, PASSWORD)
    assert errors_of(response) == [WRONG_WITH_CODE]
    assert LoginAttempt.objects.get().reason == "wrong_code"
    response = log_in(client, carol.email, PASSWORD, current_code(device))
    assert response.status_code == 302 and response.url == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_with_mfa_a_session_not_verified_by_a_code_is_logged_out(carol_client, mfa):
    response = carol_client.get(DASHBOARD)
    assert response.status_code == 302 and response.url == LOGIN


def test_the_enrolment_page_needs_the_password_first(client, carol, mfa):
    response = client.get(ENROL)
    assert response.status_code == 302 and response.url == LOGIN
    assert not TOTPDevice.objects.exists()


def test_production_settings_require_the_code():
    import importlib
    import os

    os.environ.setdefault("SECRET_KEY", "x")
    prod = importlib.import_module("wso_portal.settings.prod")
    assert prod.WSO_CONSOLE_REQUIRE_MFA is True


def test_the_console_speaks_english_through_the_language_switch(client, carol, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(LOGIN).content.decode()
    assert "Provider console login" in html and "Email address" in html
    response = log_in(client, carol.email, "wrong")
    assert errors_of(response) == ["The email address or password is incorrect."]
    log_in(client, carol.email, PASSWORD)
    html = client.get(reverse("console:keys")).content.decode()
    assert "Issue an API key" in html and "Webhook events" in html
