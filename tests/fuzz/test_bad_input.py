"""The server errors found with malformed input: each is now a 4xx (or a redirect), on SQLite
and PostgreSQL alike."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from notification.services import new_receipt_number
from tests.factories import make_application, make_provider

CSRF_SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"


@pytest.fixture
def strict_client(db):
    """A browser as an attacker drives it: CSRF enforced, with a cookie and a matching Origin."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


@pytest.fixture
def alice_strict(strict_client, alice):
    strict_client.force_login(alice.user)
    return strict_client


@pytest.fixture
def operator_strict(strict_client, operator):
    strict_client.force_login(operator)
    return strict_client


def test_it_answers_400_to_a_nul_in_the_path(alice_strict, alice):
    make_application(alice)
    response = alice_strict.get("/notification/applications/%00/")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize(
    "number",
    ["2026112-6000001", "20261126-0000001", "２０２６１１２６-000001", "20261126-000001\n"],
)
def test_it_refuses_a_receipt_number_new_receipt_number_cannot_write(number):
    with pytest.raises(NoReverseMatch):
        reverse("notification:receipt", args=[number])


def test_every_receipt_number_written_has_a_url():
    from django.utils import timezone

    number = new_receipt_number(timezone.now())
    assert reverse("notification:receipt", args=[number]).endswith(f"/{number}/")


@pytest.mark.parametrize(
    "path",
    [
        "/notification/applications/20261126-000001%0A/",
        "/notification/applications/%EF%BC%92%EF%BC%90261126-000001/",
        "/notification/flow/%E3%81%82/consent/",
        "/notification/flow/" + "a" * 65 + "/consent/",
        "/services/" + "a" * 41 + "/",
        "/services/%E3%81%82/",
        "/disclosures/providers/w0099/",
    ],
)
def test_it_answers_404_to_ids_the_portal_never_writes(alice_strict, path):
    assert alice_strict.get(path).status_code == 404


def test_an_unknown_flow_id_of_the_right_shape_is_still_explained(alice_strict):
    response = alice_strict.get("/notification/flow/no-such-flow/consent/")
    assert response.status_code == 400
    assert "お申し込みの手続きが見つかりません" in response.content.decode()


@pytest.mark.parametrize("object_id", ["1.5", "abc", "-1", "99999999999999999999", "%C3%A9"])
def test_the_password_page_of_an_id_that_is_none_is_a_404(operator_strict, object_id):
    response = operator_strict.get(f"/admin/auth/user/{object_id}/password/")
    assert response.status_code in (302, 404)  # the admin redirects an unknown id to its list


def test_a_lines_password_page_is_still_refused(operator_strict, alice):
    response = operator_strict.get(f"/admin/auth/user/{alice.user.pk}/password/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "received_at__year=99999999999999999999",
        "received_at__year=1",
        "received_at__year=9999",
        "received_at__year=9999&received_at__month=12&received_at__day=31",
        "received_at__year=2026&received_at__month=99999999999999999999",
        "received_at__gte=0001-01-01",
        "received_at__lt=9999-12-31",
        "due_at__gte=0001-01-01+00:00:00",
    ],
)
def test_an_admin_date_out_of_range_is_a_wrong_parameter(operator_strict, alice, query):
    make_application(alice)
    response = operator_strict.get(f"/admin/notification/application/?{query}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/notification/application/?state=%00",
        "/admin/notification/application/?q=%00",
        "/admin/autocomplete/?app_label=notification&model_name=notificationsetting"
        "&field_name=line&term=%00",
    ],
)
def test_a_nul_in_an_admin_query_is_a_400(operator_strict, url):
    response = operator_strict.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("charset", ["utf-16", "utf8", "shift_jis", "latin-1", "bogus"])
def test_a_login_post_in_another_charset_is_a_400_page(strict_client, charset):
    response = strict_client.post(
        "/login/",
        data=b"flets_number=06012345678&access_key=ABCD2345",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "http://testserver", "X-CSRFToken": CSRF_SECRET},
        # As sent: the test client would otherwise re-encode the body in the charset.
        CONTENT_TYPE=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


def test_a_utf8_charset_is_accepted_in_any_case(strict_client, db):
    response = strict_client.post(
        "/login/",
        data=b"flets_number=06012345678&access_key=ABCD2345",
        content_type='application/x-www-form-urlencoded; charset="UTF-8"',
        headers={"Origin": "http://testserver", "X-CSRFToken": CSRF_SECRET},
    )
    assert response.status_code == 200


def test_a_nul_in_a_form_body_is_a_400(strict_client, db):
    for data, content_type in [
        (b"flets_number=%00&access_key=x", "application/x-www-form-urlencoded"),
        (b"flets_number=\x00&access_key=x", "application/x-www-form-urlencoded"),
    ]:
        response = strict_client.post(
            "/login/",
            data=data,
            content_type=content_type,
            headers={"Origin": "http://testserver", "X-CSRFToken": CSRF_SECRET},
        )
        assert response.status_code == 400
    response = strict_client.post(
        "/login/",
        {"flets_number": "\x00", "csrfmiddlewaretoken": CSRF_SECRET},
        headers={"Origin": "http://testserver"},
    )  # multipart
    assert response.status_code == 400


def test_a_form_body_with_too_many_fields_is_a_400_page(strict_client, db):
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = strict_client.post(
        "/login/",
        data=body.encode(),
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "http://testserver", "X-CSRFToken": CSRF_SECRET},
    )
    assert response.status_code == 400


def test_the_400_page_stands_alone(strict_client, db):
    response = strict_client.get("/?q=%00")
    html = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "リクエストを処理できません" in html
    assert 'lang="ja"' in html


def test_the_api_answers_problem_json_in_japanese(db):
    client = Client(raise_request_exception=True)
    for response in [
        client.post("/api/v1/lookups?x=%00", data="{}", content_type="application/json"),
        client.post("/api/v1/lookups", data="{}", content_type="application/json; charset=utf-16"),
    ]:
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        body = json.loads(response.content)
        assert body["status"] == 400
        assert body["detail"] in (
            "リクエストに使用できない文字 (NUL) が含まれています。",
            "文字コードは UTF-8 で送信してください。",
        )


@pytest.mark.parametrize("selected", ["", "1.5", "abc", "99999999999999999999"])
def test_an_action_on_an_id_that_is_none_changes_nothing(operator_strict, alice, selected):
    from notification.models import ServiceProvider

    make_provider()
    response = operator_strict.post(
        "/admin/notification/serviceprovider/",
        {"action": "delete_selected", "_selected_action": [selected], "post": "yes"},
        headers={"Origin": "http://testserver", "X-CSRFToken": CSRF_SECRET},
    )
    assert response.status_code in (200, 302)
    assert ServiceProvider.objects.count() == 1


def test_djangos_own_400s_get_the_portals_page_without_reading_the_form_again(client, db):
    # A disallowed Host is refused by Django itself, through handler400.
    response = client.post(
        "/login/",
        "flets_number=1",
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        HTTP_HOST="evil.example",
    )
    assert response.status_code == 400
    assert "リクエストを処理できません" in response.content.decode()
