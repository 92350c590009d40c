"""Operators' admin for providers' API keys and the disclosure log: a key is shown once and only
its hash kept, a third live key is refused in Japanese, revoking stops a key at once, and the log
is view-only and found by line, provider and day."""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from providers.models import Disclosure, ProviderKey, hash_key
from providers.services import authenticate

from ..factories import make_disclosure, make_key, make_line, make_provider

pytestmark = pytest.mark.django_db

KEY_IN_PAGE = re.compile(r'<code class="api-key"[^>]*>(wso_[A-Za-z0-9_-]+)</code>')
TOO_MANY = "有効なAPIキーが既に2つあります"

KEYS = reverse("admin:providers_providerkey_changelist")
ISSUE = reverse("admin:providers_providerkey_add")
LOG = reverse("admin:providers_disclosure_changelist")


def key_page(key):
    return reverse("admin:providers_providerkey_change", args=[key.pk])


def revoke_page(key):
    return reverse("admin:providers_providerkey_revoke", args=[key.pk])


def provider_page(provider):
    return reverse("admin:notification_serviceprovider_change", args=[provider.pk])


def results(client, url, term="", **params):
    response = client.get(url, {"q": term, **params})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


def issue(client, provider):
    return client.post(ISSUE, {"provider": provider.pk})


def issued_key(response) -> str:
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [key] = KEY_IN_PAGE.findall(response.content.decode())
    return key


# --- issuing --------------------------------------------------------------------------------


def test_it_issues_a_key_shows_it_once_and_keeps_only_its_hash(admin_client, provider, caplog):
    caplog.set_level(logging.DEBUG)
    assert admin_client.get(ISSUE).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = issue(admin_client, provider)
    plain = issued_key(response)
    content = response.content.decode()
    assert "この画面でのみ表示されます" in content
    assert "再表示はできません" in content

    [key] = ProviderKey.objects.all()
    assert key.provider == provider
    assert key.hashed_key == hash_key(plain)
    assert plain.startswith(key.display_prefix) and plain != key.display_prefix
    assert not [q["sql"] for q in queries if plain in q["sql"]]
    assert plain not in caplog.text
    for session in Session.objects.all():
        assert plain not in str(session.get_decoded())
    [entry] = LogEntry.objects.filter(object_id=str(key.pk))
    assert plain not in entry.object_repr + entry.change_message

    for page in [KEYS, key_page(key), provider_page(provider)]:
        body = admin_client.get(page).content.decode()
        assert key.display_prefix in body, page
        assert plain not in body, page
        assert key.hashed_key not in body, page


def test_the_issued_key_authenticates_as_its_provider(admin_client, provider):
    plain = issued_key(issue(admin_client, provider))
    key = authenticate(plain)
    assert key is not None and key.provider == provider
    assert authenticate(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None


def test_a_third_live_key_is_refused_with_a_message(admin_client, provider):
    first = issued_key(issue(admin_client, provider))
    second = issued_key(issue(admin_client, provider))
    assert first != second

    response = issue(admin_client, provider)
    assert response.status_code == 200
    content = response.content.decode()
    assert TOO_MANY in content
    assert "古いキーを失効させてください" in content
    assert not KEY_IN_PAGE.findall(content)
    assert ProviderKey.objects.count() == 2


def test_a_revoked_key_makes_room_for_a_new_one(admin_client, provider):
    old, _ = make_key(provider)
    make_key(provider)
    admin_client.post(revoke_page(old), {"confirm": "yes"})
    issued_key(issue(admin_client, provider))
    assert ProviderKey.objects.live().filter(provider=provider).count() == 2


def test_the_issue_page_needs_a_provider(admin_client):
    response = admin_client.post(ISSUE, {})
    assert response.status_code == 200
    assert "サービス提供者を選んでください。" in response.content.decode()
    assert not ProviderKey.objects.exists()


def test_the_providers_page_lists_its_keys_and_links_to_issuing_one(admin_client, provider):
    key, plain = make_key(provider)
    other, _ = make_key(make_provider())
    response = admin_client.get(provider_page(provider))
    content = response.content.decode()
    assert f'href="{ISSUE}?provider={provider.pk}"' in content
    assert key.display_prefix in content
    assert key_page(key) in content
    assert other.display_prefix not in content
    assert plain not in content


def test_the_providers_page_still_saves(admin_client, provider):
    make_key(provider)
    response = admin_client.post(
        provider_page(provider),
        {
            "code": "W0099",
            "name": "NTT西日本(試験用)",
            "service_name": "回線情報通知の試験",
            "active": "on",
            "api_keys-TOTAL_FORMS": "1",
            "api_keys-INITIAL_FORMS": "1",
            "api_keys-MIN_NUM_FORMS": "0",
            "api_keys-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.service_name == "回線情報通知の試験"
    assert ProviderKey.objects.live().filter(provider=provider).count() == 1


# --- revoking -------------------------------------------------------------------------------


def test_the_revoke_action_asks_first_then_revokes(admin_client, provider):
    (key, plain), (_, kept_plain) = make_key(provider), make_key(provider)
    form = {"action": "revoke", "_selected_action": [key.pk]}

    response = admin_client.post(KEYS, form)
    assert response.status_code == 200
    assert "失効させる" in response.content.decode()
    assert authenticate(plain) is not None, "asking for confirmation changes nothing"

    response = admin_client.post(KEYS, {**form, "confirm": "yes"}, follow=True)
    assert "APIキーを失効させました (1件)" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert authenticate(plain) is None
    assert authenticate(kept_plain) is not None, "only the selected key is revoked"
    assert LogEntry.objects.filter(object_id=str(key.pk), change_message="失効させました").exists()


def test_a_key_is_revoked_from_its_own_page(admin_client, provider):
    key, plain = make_key(provider)
    content = admin_client.get(key_page(key)).content.decode()
    assert revoke_page(key) in content

    response = admin_client.get(revoke_page(key))
    assert response.status_code == 200
    assert authenticate(plain) is not None

    response = admin_client.post(revoke_page(key), {"confirm": "yes"})
    assert response.status_code == 302 and response.url == key_page(key)
    assert authenticate(plain) is None
    assert revoke_page(key) not in admin_client.get(key_page(key)).content.decode()

    response = admin_client.post(revoke_page(key), {"confirm": "yes"}, follow=True)
    assert "既に失効しています" in response.content.decode()


def test_keys_are_filtered_by_state_and_found_by_provider(admin_client, provider):
    live, _ = make_key(provider)
    revoked, _ = make_key(provider)
    admin_client.post(revoke_page(revoked), {"confirm": "yes"})
    other, _ = make_key(make_provider(code="C0301", name="株式会社ネクストゲームズ"))
    assert results(admin_client, KEYS, live="yes") == [other, live]
    assert results(admin_client, KEYS, live="no") == [revoked]
    assert set(results(admin_client, KEYS, "w0099")) == {live, revoked}
    assert results(admin_client, KEYS, "ネクストゲームズ") == [other]
    assert results(admin_client, KEYS, live.display_prefix) == [live]


def test_keys_are_never_edited_or_deleted(admin_client, provider):
    key, _ = make_key(provider)
    content = admin_client.get(key_page(key)).content.decode()
    assert 'name="_save"' not in content
    assert 'name="provider"' not in content
    post = admin_client.post(key_page(key), {"provider": make_provider().pk, "revoked_at": ""})
    assert post.status_code == 403
    delete = reverse("admin:providers_providerkey_delete", args=[key.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        KEYS, {"action": "delete_selected", "_selected_action": [key.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    key.refresh_from_db()
    assert key.provider == provider and key.revoked_at is None


# --- disclosure log -------------------------------------------------------------------------


def test_the_log_is_view_only(admin_client, provider):
    disclosure = make_disclosure(make_line(), provider)
    page = reverse("admin:providers_disclosure_change", args=[disclosure.pk])
    response = admin_client.get(page)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert admin_client.get(reverse("admin:providers_disclosure_add")).status_code == 403
    assert admin_client.post(page, {"address": "2001:db8::1"}).status_code == 403
    delete = reverse("admin:providers_disclosure_delete", args=[disclosure.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    content = admin_client.get(LOG).content.decode()
    assert reverse("admin:providers_disclosure_add") not in content
    assert "delete_selected" not in content
    assert Disclosure.objects.get() == disclosure


def test_the_log_is_found_by_line_provider_and_day(admin_client, provider):
    alice, bob = make_line(), make_line()
    sakura = make_provider(code="A0101", name="株式会社さくらボイス")
    today = timezone.localtime()
    yesterday = today - timedelta(days=1)
    a_test = make_disclosure(alice, provider, at=today)
    a_old = make_disclosure(alice, provider, at=yesterday)
    b_sakura = make_disclosure(bob, sakura, at=today)

    number = alice.flets_number
    assert results(admin_client, LOG, number) == [a_test, a_old]
    assert results(admin_client, LOG, f"{number[:3]}-{number[3:7]}-{number[7:]}") == [
        a_test,
        a_old,
    ]
    assert results(admin_client, LOG, bob.customer_id) == [b_sakura]
    assert results(admin_client, LOG, bob.customer_id.lower()) == [b_sakura]
    assert results(admin_client, LOG, "W0099") == [a_test, a_old]
    assert results(admin_client, LOG, "さくらボイス") == [b_sakura]
    assert results(admin_client, LOG, "06099999999") == []

    day = f"{yesterday:%Y-%m-%d}"
    assert results(admin_client, LOG, day) == [a_old]
    assert results(admin_client, LOG, f"{today:%Y/%m/%d}") == [b_sakura, a_test]
    assert results(admin_client, LOG, f"A0101 {day}") == []
    assert results(admin_client, LOG, f"{number} {today:%Y-%m-%d}") == [a_test]


def test_the_log_is_filtered_by_date(admin_client, provider):
    line = make_line()
    recent = make_disclosure(line, provider)
    make_disclosure(line, provider, at=timezone.now() - timedelta(days=40))
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since = {"at__gte": str(midnight - timedelta(days=7))}
    assert results(admin_client, LOG, **since) == [recent]


def test_the_log_list_loads_in_a_fixed_number_of_queries_and_counts_only_what_it_finds(
    admin_client, provider
):
    def count(url, **params):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url, params).status_code == 200
        return queries

    line = make_line()
    make_disclosure(line, provider)
    count(LOG)
    before = len(count(LOG))
    for _ in range(5):
        make_disclosure(make_line(), make_provider())
    assert len(count(LOG)) == before
    assert len(count(KEYS)) <= 12

    # show_full_result_count = False: a search never counts the whole log besides.
    counts = [q["sql"] for q in count(LOG, q=line.flets_number) if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "WHERE" in counts[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row estimates")
def test_the_whole_log_is_counted_by_estimate_and_a_search_exactly(admin_client, provider):
    from providers.admin.disclosures import LogPaginator

    line = make_line()
    for _ in range(30):
        make_disclosure(line, provider)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Disclosure._meta.db_table}")
    LogPaginator.ESTIMATE_FROM = 20
    try:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(LOG)
    finally:
        LogPaginator.ESTIMATE_FROM = 10_000
    assert response.context["cl"].result_count == 30
    assert not [q for q in queries if "COUNT(" in q["sql"]]
    assert any("reltuples" in q["sql"] for q in queries)
    searched = admin_client.get(LOG, {"q": line.flets_number})
    assert searched.context["cl"].result_count == 30


# --- who may --------------------------------------------------------------------------------


def test_a_subscriber_cannot_reach_these_pages(client, alice, provider):
    key, _ = make_key(provider)
    client.force_login(alice.user)
    for url in [KEYS, ISSUE, key_page(key), revoke_page(key), LOG]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    response = client.post(ISSUE, {"provider": provider.pk})
    assert response.status_code == 302
    assert ProviderKey.objects.count() == 1


def test_a_staff_member_needs_the_permissions(client, provider):
    key, plain = make_key(provider)
    staff = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_providerkey", "view_disclosure", "view_serviceprovider"]
        )
    )
    client.force_login(staff)
    assert client.get(KEYS).status_code == 200
    assert client.get(LOG).status_code == 200
    assert "APIキーを発行" not in client.get(provider_page(provider)).content.decode()
    assert revoke_page(key) not in client.get(key_page(key)).content.decode()
    assert client.post(ISSUE, {"provider": provider.pk}).status_code == 403
    assert client.post(revoke_page(key), {"confirm": "yes"}).status_code == 403
    client.post(KEYS, {"action": "revoke", "_selected_action": [key.pk], "confirm": "yes"})
    assert authenticate(plain) is not None
    assert ProviderKey.objects.count() == 1


def test_the_key_pages_are_in_japanese(admin_client, provider):
    make_key(provider)
    content = admin_client.get(KEYS).content.decode()
    assert "APIキーを発行" in content
    assert "選択されたAPIキーを失効" in content
