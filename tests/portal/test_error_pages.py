"""The error pages (400, 403 and CSRF failures, 404, 500): the portal's own, in its layout and
the visitor's language, with a way back; the admin's in Japanese; /api/ paths left to the API."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.test import Client, RequestFactory, override_settings
from django.urls import path, reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from tests.conftest import ALICE_KEY
from tests.portal.test_english import EN, assert_language_links, assert_no_japanese_but_data
from wso_portal import urls as project_urls
from wso_portal import views

TOP = reverse("portal:top")
USAGE_DETAIL = reverse("notification:usage_detail")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("test")


def broken(request):
    raise RuntimeError("a bug")


# The project's URLs and handlers, and views that fail, for the tests marked urls(__name__).
urlpatterns = [
    path("test-errors/forbidden/", forbidden),
    path("test-errors/suspicious/", suspicious),
    path("test-errors/broken/", broken),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500
in_test_urls = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def language_left_as_found():
    # LocaleMiddleware leaves the last request's language active in the thread, where the
    # tests that follow would meet it outside any request.
    with translation.override(translation.get_language()):
        yield


def assert_portal_page(html: str, title: str, *, lang: str = "ja") -> None:
    assert f'<html lang="{lang}">' in html
    assert f'<h1 class="page__title">{title}</h1>' in html
    assert f"<title>{title} | " in html
    assert '<header class="site-header">' in html and '<footer class="site-footer">' in html
    assert_language_links(html)


def back_to_top(html: str, label: str = "トップへ戻る") -> bool:
    return f'<a class="button button--secondary" href="{TOP}">{label}</a>' in html


# 404 --------------------------------------------------------------------------------------------


def test_it_answers_an_unknown_url_with_the_portals_page_in_japanese(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_portal_page(html, "ページが見つかりません")
    assert "お探しのページは見つかりませんでした。" in html
    assert back_to_top(html)
    assert "Not Found" not in html
    # The 日本語 / English switch comes back to the same address.
    assert 'href="/language/en/?next=/no-such-page/"' in html


@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_it_answers_an_unknown_url_in_english_when_asked(client, db, how):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get("/no-such-page/")
    else:
        response = client.get("/no-such-page/", **EN)
    assert response.status_code == 404
    html = response.content.decode()
    assert_portal_page(html, "Page not found", lang="en")
    assert back_to_top(html, "Back to top")
    assert_no_japanese_but_data(html)


def test_a_logged_in_subscriber_keeps_the_header_and_footer_of_their_line(alice_client, alice):
    html = alice_client.get("/no-such-page/").content.decode()
    assert f'<span data-testid="customer-id">{alice.customer_id}</span>' in html
    assert reverse("notification:history") in html


def test_the_admins_404_is_japanese_and_leads_back_to_the_admin(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = admin_client.get("/admin/no-such-page/", **EN)
    assert response.status_code == 404
    html = response.content.decode()
    assert_portal_page(html, "ページが見つかりません")
    assert '<a class="button button--secondary" href="/admin/">運用管理へ戻る</a>' in html
    assert "Not Found" not in html


@pytest.mark.parametrize("url", ["/api/v1/no-such-operation", "/api/no-such-version/"])
def test_api_paths_are_left_to_the_api(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "site-header" not in response.content.decode()


# 403 and CSRF failures --------------------------------------------------------------------------


def log_in(client: Client, alice) -> None:
    token = TOKEN.search(client.get(reverse("portal:login")).content.decode())[1]
    response = client.post(
        reverse("portal:login"),
        {"flets_number": alice.flets_number, "access_key": ALICE_KEY, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_a_form_left_behind_by_a_new_login_in_another_tab_explains_itself(alice):
    client = Client(enforce_csrf_checks=True)
    log_in(client, alice)
    # The first tab: a form of the usage page, its token from this login.
    stale = TOKEN.search(client.get(USAGE_DETAIL).content.decode())[1]
    # The second tab: log out and in again, which changes the token.
    current = TOKEN.search(client.get(TOP).content.decode())[1]
    client.post(reverse("portal:logout"), {"csrfmiddlewaretoken": current})
    log_in(client, alice)

    response = client.post(USAGE_DETAIL, {"action": "add", "csrfmiddlewaretoken": stale})
    assert response.status_code == 403
    html = response.content.decode()
    assert_portal_page(html, "操作を受け付けられませんでした")
    assert "別のタブやウィンドウでログインし直したかログアウトしたため" in html
    assert f'<a class="button" href="{USAGE_DETAIL}">画面を開き直す</a>' in html
    assert back_to_top(html)
    assert "CSRF" not in html
    # Opening the page again gives a form that works.
    assert client.get(USAGE_DETAIL).status_code == 200


def test_a_refused_logout_explains_itself_in_english_and_leads_to_the_top(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.post(reverse("portal:logout"), **EN)
    assert response.status_code == 403
    html = response.content.decode()
    assert_portal_page(html, "The operation could not be accepted", lang="en")
    assert f'<a class="button" href="{TOP}">Open the page again</a>' in html
    assert_no_japanese_but_data(html)


def test_the_csrf_failure_view_is_the_portals():
    assert settings.CSRF_FAILURE_VIEW == "wso_portal.views.csrf_failure"


@in_test_urls
def test_a_refused_permission_gets_the_portals_403_page(client, db):
    response = client.get("/test-errors/forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_portal_page(html, "このページは表示できません")
    assert "このページを表示する権限がありません。" in html
    assert back_to_top(html)


def test_the_admins_403_is_japanese_and_leads_back_to_the_admin(admin_client):
    response = admin_client.get(reverse("admin:agreements_acceptance_add"), **EN)
    assert response.status_code == 403
    html = response.content.decode()
    assert_portal_page(html, "このページは表示できません")
    assert '<a class="button button--secondary" href="/admin/">運用管理へ戻る</a>' in html


# 400 --------------------------------------------------------------------------------------------


@in_test_urls
def test_a_suspicious_request_gets_the_portals_400_page(client, db):
    response = client.get("/test-errors/suspicious/")
    assert response.status_code == 400
    html = response.content.decode()
    assert_portal_page(html, "リクエストを処理できません")
    assert "リクエストの内容が正しくありません。" in html
    assert back_to_top(html)


def test_a_disallowed_host_gets_the_portals_400_page(client, db):
    response = client.get(TOP, HTTP_HOST="evil.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert_portal_page(html, "リクエストを処理できません")
    assert "evil.example" not in html


@override_settings(SECURE_SSL_REDIRECT=True)
def test_a_host_refused_before_the_language_is_chosen_still_gets_the_visitors(client, db):
    # Production redirects to https first: its Host check comes before LocaleMiddleware.
    client.get(reverse("portal:login"), secure=True)  # leaves Japanese active
    response = client.get(TOP, HTTP_HOST="evil.example", **EN)
    assert response.status_code == 400
    assert_portal_page(response.content.decode(), "The request cannot be processed", lang="en")


# 500 --------------------------------------------------------------------------------------------


@in_test_urls
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_server_error_gets_the_portals_500_page(client, db, language):
    client.raise_request_exception = False
    response = client.get("/test-errors/broken/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    html = response.content.decode()
    if language == "ja":
        assert_portal_page(html, "エラーが発生しました")
        assert "しばらく経ってから、もう一度お試しください。" in html
        assert back_to_top(html)
    else:
        assert_portal_page(html, "An error has occurred", lang="en")
        assert back_to_top(html, "Back to top")
        assert_no_japanese_but_data(html)


def test_the_500_page_needs_neither_the_database_nor_the_session(db, django_assert_num_queries):
    def unavailable():
        raise DatabaseError("the database is down")

    request = RequestFactory().get("/notification/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = SimpleLazyObject(unavailable)
    request.session = SimpleLazyObject(unavailable)
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert_portal_page(response.content.decode(), "An error has occurred", lang="en")
