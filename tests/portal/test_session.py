from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ALICE_KEY

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
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )
    assert client.get(TOP).status_code == 200
    expires = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expires - timezone.now() > timedelta(minutes=29)


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
