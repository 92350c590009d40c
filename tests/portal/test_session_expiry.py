"""A session that ends, idle or too old: the login page says why, the change flow the subscriber
was in is taken up again after the next login while it is still valid, and every page of a
logged-in line carries the idle warning (static/js/session.js) with the time left."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ALICE_KEY
from tests.factories import make_provider, set_notify
from tests.notification.flow_helpers import agree, start_stop, step_url
from wso_portal.sessions import LOGGED_IN_AT, REFRESHED_AT

LOGIN = reverse("portal:login")
TOP = reverse("portal:top")
KEEP_ALIVE = reverse("portal:keep_alive")
IDLE_MESSAGE = "一定時間操作がなかったため、ログアウトしました。"
MAX_AGE_MESSAGE = "ログインから一定時間が経過したため、ログアウトしました。"


def log_in(client, line, next_page=""):
    data = {"flets_number": line.flets_number, "access_key": ALICE_KEY}
    return client.post(f"{LOGIN}?next={next_page}" if next_page else LOGIN, data)


def end_idle(client):
    """The session's idle end passes: its row stays, expired, until clearsessions."""
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def w0099(alice):
    provider = make_provider(code="W0099", name="NTT西日本(試験用)")
    set_notify(alice, provider)
    return provider


def test_it_says_on_the_login_page_that_the_idle_session_ended(client, alice):
    assert log_in(client, alice).status_code == 302
    end_idle(client)
    response = client.get(TOP, follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert IDLE_MESSAGE in response.content.decode()
    # Said once: the login page seen again says nothing of it.
    assert IDLE_MESSAGE not in client.get(LOGIN).content.decode()


def test_it_says_nothing_to_a_visitor_who_never_logged_in(client, alice):
    assert IDLE_MESSAGE not in client.get(TOP, follow=True).content.decode()


def test_it_says_nothing_after_a_logout(client, alice):
    log_in(client, alice)
    client.post(reverse("portal:logout"))
    html = client.get(TOP, follow=True).content.decode()
    assert IDLE_MESSAGE not in html and MAX_AGE_MESSAGE not in html


def test_it_says_when_the_session_outlived_its_absolute_lifetime(client, alice, settings):
    log_in(client, alice)
    session = client.session
    session[LOGGED_IN_AT] -= settings.WSO_SESSION_MAX_AGE_SECONDS + 1
    session.save()
    assert MAX_AGE_MESSAGE in client.get(TOP, follow=True).content.decode()


def test_it_returns_to_the_step_after_the_login_while_the_flow_is_valid(
    client, alice, w0099, agreement, settings
):
    settings.WSO_FLOW_MAX_AGE_SECONDS = 3600
    log_in(client, alice)
    flow_id = start_stop(client, w0099)
    agree(client, flow_id, agreement)
    end_idle(client)

    applicant = step_url("applicant", flow_id)
    # 【次へ】 after the idle end: to the login page, which says why.
    response = client.post(applicant, {"name": "西日本 太郎"})
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert IDLE_MESSAGE in client.get(response.url).content.decode()

    response = log_in(client, alice, next_page=applicant)
    assert response.url == applicant
    response = client.get(applicant)
    assert response.status_code == 200
    assert "申込者情報入力" in response.content.decode()


def test_it_says_so_when_the_flow_expired_meanwhile(client, alice, w0099, agreement, settings):
    settings.WSO_FLOW_MAX_AGE_SECONDS = 3600
    log_in(client, alice)
    flow_id = start_stop(client, w0099)
    end_idle(client)
    client.get(step_url("consent", flow_id))
    settings.WSO_FLOW_MAX_AGE_SECONDS = 0
    log_in(client, alice)
    response = client.get(step_url("consent", flow_id))
    assert "お申し込みの手続きの有効期限が切れました。" in response.content.decode()


def test_it_never_hands_a_flow_to_another_line(client, alice, bob, w0099, agreement, settings):
    settings.WSO_FLOW_MAX_AGE_SECONDS = 3600
    log_in(client, alice)
    flow_id = start_stop(client, w0099)
    end_idle(client)
    client.get(step_url("consent", flow_id))
    client.post(LOGIN, {"flets_number": bob.flets_number, "access_key": "BOBK9876"})
    response = client.get(step_url("consent", flow_id))
    assert "お申し込みの手続きが見つかりません。" in response.content.decode()


def test_it_reads_an_ended_session_once(client, alice):
    log_in(client, alice)
    key = client.session.session_key
    end_idle(client)
    client.get(TOP)
    assert not Session.objects.filter(session_key=key).exists()


def test_every_page_of_a_line_carries_the_warning_with_the_time_left(alice_client, settings):
    html = alice_client.get(TOP).content.decode()
    assert 'data-testid="session-warning"' in html
    left = int(re.search(r'data-expires-in="(\d+)"', html)[1])
    assert left == pytest.approx(settings.SESSION_COOKIE_AGE, abs=5)
    assert 'data-warn-before="120"' in html
    assert "/static/js/session.js" in html
    # Hidden until the script shows it: without scripts, the page is as it was.
    assert 'id="session-warning" hidden' in html


def test_the_login_page_has_no_warning(client, db):
    html = client.get(LOGIN).content.decode()
    assert "session-warning" not in html and "session.js" not in html


def test_keep_alive_restarts_the_idle_clock(client, alice, settings):
    log_in(client, alice)
    session = client.session
    session[REFRESHED_AT] -= 25 * 60
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    response = client.post(KEEP_ALIVE, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["expires_in"] == pytest.approx(settings.SESSION_COOKIE_AGE, abs=5)
    expires = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expires - timezone.now() > timedelta(minutes=29)


def test_keep_alive_without_the_script_goes_back_to_the_page(alice_client):
    usage = reverse("notification:usage_detail")
    response = alice_client.post(KEEP_ALIVE, {"next": usage})
    assert response.status_code == 302 and response.url == usage


def test_keep_alive_after_the_end_is_refused(client, alice):
    log_in(client, alice)
    end_idle(client)
    response = client.post(KEEP_ALIVE, headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json() == {"expires_in": 0}


def test_keep_alive_is_a_post(alice_client):
    assert alice_client.get(KEEP_ALIVE).status_code == 405
