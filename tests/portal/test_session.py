from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ALICE_KEY
from wso_portal.sessions import LOGGED_IN_AT, REFRESHED_AT

LOGIN = reverse("portal:login")
LOGOUT = reverse("portal:logout")
TOP = reverse("portal:top")


def log_in(client, line, key=ALICE_KEY):
    response = client.post(LOGIN, {"flets_number": line.flets_number, "access_key": key})
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_session_key_rotates_on_login(client, alice):
    before = client.session  # an anonymous session with a key
    before["seen"] = True
    before.save()
    old_key = before.session_key
    new_key = log_in(client, alice)
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.session[SESSION_KEY] == str(alice.user.pk)


def test_the_session_ends_after_thirty_idle_minutes(client, alice):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    key = log_in(client, alice)
    expires = Session.objects.get(session_key=key).expire_date
    assert expires - timezone.now() == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=5)
    )

    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(TOP)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_each_request_restarts_the_idle_clock(client, alice):
    key = log_in(client, alice)
    # Idle for 29 minutes: the last refresh was then, and the session ends in one minute.
    session = client.session
    session[REFRESHED_AT] -= 29 * 60
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )
    assert client.get(TOP).status_code == 200
    expires = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expires - timezone.now() > timedelta(minutes=29)


def test_the_session_is_written_at_most_once_a_minute(client, alice):
    log_in(client, alice)
    with CaptureQueriesContext(connection) as fresh:
        assert client.get(TOP).status_code == 200
    assert not [q for q in fresh.captured_queries if "UPDATE" in q["sql"]]
    session = client.session
    session[REFRESHED_AT] -= 61
    session.save()
    with CaptureQueriesContext(connection) as stale:
        assert client.get(TOP).status_code == 200
    writes = [q for q in stale.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1 and "django_session" in writes[0]["sql"]


def test_logout_flushes_the_session(client, alice):
    key = log_in(client, alice)
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response.url == LOGIN
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(TOP).status_code == 302
    assert "ログアウトしました。" in client.get(LOGIN).content.decode()


def test_logout_is_a_post(alice_client):
    assert alice_client.get(LOGOUT).status_code == 405
    assert alice_client.get(TOP).status_code == 200


def test_the_footer_has_the_logout_form(alice_client):
    html = alice_client.get(TOP).content.decode()
    assert f'action="{LOGOUT}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize(
    "url",
    [TOP, reverse("portal:service_detail", args=["security"]), reverse("portal:privacy")],
)
def test_pages_seen_logged_in_are_not_stored(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_is_not_stored(client, alice):
    assert "no-store" in client.get(LOGIN)["Cache-Control"]
    response = client.post(LOGIN, {"flets_number": alice.flets_number, "access_key": "WRNG0000"})
    assert "no-store" in response["Cache-Control"]


def test_a_public_page_seen_anonymously_may_be_cached(client, db):
    assert "no-store" not in client.get(reverse("portal:privacy")).get("Cache-Control", "")


def test_a_line_suspended_during_the_session_is_logged_out(alice_client, alice):
    alice.status = alice.Status.SUSPENDED
    alice.save()
    response = alice_client.get(TOP)
    assert response.status_code == 302
    assert SESSION_KEY not in alice_client.session


# The absolute lifetime -----------------------------------------------------------------------


def backdate_login(client, seconds: int) -> None:
    session = client.session
    session[LOGGED_IN_AT] -= seconds
    session.save()


def test_a_busy_session_still_ends_its_absolute_lifetime_after_login(client, alice, settings):
    settings.WSO_SESSION_MAX_AGE_SECONDS = 8 * 3600
    log_in(client, alice)
    backdate_login(client, 8 * 3600 - 60)
    assert client.get(TOP).status_code == 200  # an active session, inside its lifetime
    backdate_login(client, 120)
    response = client.get(TOP)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert SESSION_KEY not in client.session


def test_a_session_that_does_not_say_when_it_began_is_ended(client, alice):
    log_in(client, alice)
    session = client.session
    del session[LOGGED_IN_AT]
    session.save()
    assert client.get(TOP).status_code == 302


def test_the_admins_sessions_end_the_same_way(admin_client, settings):
    assert admin_client.get("/admin/").status_code == 200
    backdate_login(admin_client, settings.WSO_SESSION_MAX_AGE_SECONDS + 1)
    assert admin_client.get("/admin/").status_code == 302


def test_reissuing_the_access_key_logs_the_line_out_elsewhere(alice, admin_client):
    client = Client()
    log_in(client, alice)
    assert client.get(TOP).status_code == 200
    admin_client.post(
        reverse("admin:wso_portal_subscriberline_changelist"),
        {"action": "reissue_access_keys", "_selected_action": [alice.pk], "confirm": "yes"},
    )
    assert client.get(TOP).status_code == 302


def test_production_cookies_are_host_only_and_secure():
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_DOMAIN)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "wso_portal.settings.prod",
            "SECRET_KEY": "x" * 60,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "None",
        "None",
    ]


def test_an_operator_opening_a_subscriber_page_is_refused_and_stays_logged_in(admin_client):
    response = admin_client.get(TOP)
    assert response.status_code == 403
    assert "運用者のアカウントでログインしています" in response.content.decode()
    assert admin_client.get("/admin/").status_code == 200
