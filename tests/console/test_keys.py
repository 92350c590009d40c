"""APIキー: the provider's own keys, issued once on a no-store page, at most two live, revoked
after a confirmation, through providers.services as the admin does, and audited alike."""

import re

from django.urls import reverse

from audit.models import AuditEntry
from providers.models import ProviderKey
from providers.services import authenticate
from tests.factories import make_key

KEYS = reverse("console:keys")
ISSUE = reverse("console:key_issue")


def test_the_list_shows_only_the_providers_own_keys(carol_client, w0099, other_provider):
    own, _ = make_key(w0099)
    other, _ = make_key(other_provider)
    html = carol_client.get(KEYS).content.decode()
    assert own.display_prefix in html
    assert other.display_prefix not in html


def test_issuing_shows_the_key_once_on_a_no_store_page_with_a_copy_button(carol_client, w0099):
    response = carol_client.post(ISSUE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    plain = re.search(r'data-testid="new-key">(wso_[A-Za-z0-9_-]{43})<', html)[1]
    assert 'data-copy="new-key"' in html and "/static/js/copy.js" in html
    assert "<script>" not in html  # no inline script
    key = authenticate(plain)
    assert key is not None and key.provider_id == w0099.pk
    assert plain not in carol_client.get(KEYS).content.decode()  # never shown again
    entry = AuditEntry.objects.get(action="issue_api_key")
    assert entry.operator == "carol@w0099.example.jp"
    assert entry.details == {"provider": "W0099", "via": "console"}
    assert entry.target_id == str(key.pk)


def test_at_most_two_live_keys_and_the_button_says_why(carol_client, w0099):
    make_key(w0099)
    make_key(w0099)
    html = carol_client.get(KEYS).content.decode()
    assert re.search(r"<button[^>]*disabled[^>]*>APIキーを発行", html)
    assert "有効なAPIキーが既に2つあるため発行できません" in html
    response = carol_client.post(ISSUE, follow=True)
    assert "有効なAPIキーは2つまでです" in response.content.decode()
    assert ProviderKey.objects.filter(provider=w0099).count() == 2


def test_revoking_asks_first_then_the_key_stops_at_once(carol_client, w0099):
    key, plain = make_key(w0099)
    url = reverse("console:key_revoke", args=[key.pk])
    page = carol_client.get(url)
    assert page.status_code == 200 and "よろしいですか" in page.content.decode()
    carol_client.post(url)  # without the confirmation
    assert authenticate(plain) is not None
    response = carol_client.post(url, {"confirm": "yes"})
    assert response.status_code == 302 and response.url == KEYS
    assert authenticate(plain) is None
    assert AuditEntry.objects.get(action="revoke_api_key").details["provider"] == "W0099"


def test_another_providers_key_is_a_404(carol_client, other_provider):
    key, plain = make_key(other_provider)
    url = reverse("console:key_revoke", args=[key.pk])
    assert carol_client.get(url).status_code == 404
    assert carol_client.post(url, {"confirm": "yes"}).status_code == 404
    assert authenticate(plain) is not None
    assert not AuditEntry.objects.exists()


def test_issuing_is_post_only(carol_client):
    assert carol_client.get(ISSUE).status_code == 405


def test_a_key_issued_here_answers_the_api_and_once_revoked_gets_401(carol_client, client, w0099):
    from tests.factories import make_line, set_notify

    line = make_line()
    set_notify(line, w0099)
    html = carol_client.post(ISSUE).content.decode()
    plain = re.search(r'data-testid="new-key">(wso_[A-Za-z0-9_-]{43})<', html)[1]
    address = str(line.network.network_address + 1)

    def look_up():
        return client.post(
            "/api/v1/lookups",
            {"addresses": [address]},
            content_type="application/json",
            headers={"Authorization": f"Bearer {plain}"},
        )

    assert look_up().json()["results"][0]["customer_id"] == line.customer_id
    key = ProviderKey.objects.get(provider=w0099)
    carol_client.post(reverse("console:key_revoke", args=[key.pk]), {"confirm": "yes"})
    assert look_up().status_code == 401
    html = carol_client.get(reverse("console:disclosures")).content.decode()
    assert address in html and key.display_prefix in html  # the look-up, in 照会履歴
