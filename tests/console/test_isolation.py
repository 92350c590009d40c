"""Isolation: Carol of W0099 tries the ids of another provider's key, event, attempt and
disclosure on every console URL that takes an id, GET and POST, and gets 404 with nothing
changed and nothing audited; and no console page answers hostile input with a server error."""

import pytest
from django.urls import URLPattern, get_resolver, reverse

from audit.models import AuditEntry
from console import urls as console_urls
from providers.models import DeliveryAttempt, ProviderKey, WebhookEvent
from tests.factories import make_disclosure, make_key

from .test_events import make_event

WITH_ID = {"key_revoke", "event", "event_redeliver"}


def test_every_console_url_that_takes_an_id_is_tried_here():
    named = {p.name for p in console_urls.urlpatterns if "<int:pk>" in str(p.pattern)}
    assert named == WITH_ID


@pytest.fixture
def theirs(other_provider, bob):
    key, _ = make_key(other_provider)
    event = make_event(other_provider, bob, state=WebhookEvent.State.FAILED)
    attempt = DeliveryAttempt.objects.create(event=event, status_code=500, latency_ms=3)
    disclosure = make_disclosure(bob, other_provider, key)
    return {"key": key, "event": event, "attempt": attempt, "disclosure": disclosure}


@pytest.mark.parametrize("name", sorted(WITH_ID))
@pytest.mark.parametrize("kind", ["key", "event", "attempt", "disclosure"])
def test_another_providers_id_is_a_404(carol_client, w0099, theirs, name, kind):
    url = reverse(f"console:{name}", args=[theirs[kind].pk])
    assert carol_client.get(url).status_code in (404, 405)
    assert carol_client.post(url, {"confirm": "yes"}).status_code == 404
    assert ProviderKey.objects.get(pk=theirs["key"].pk).revoked_at is None
    assert WebhookEvent.objects.get(pk=theirs["event"].pk).state == WebhookEvent.State.FAILED
    assert not AuditEntry.objects.exists()


def test_the_lists_and_csv_never_name_another_providers_rows(carol_client, w0099, theirs, bob):
    for name in ["dashboard", "keys", "endpoint", "events", "disclosures", "docs"]:
        html = carol_client.get(reverse(f"console:{name}")).content.decode()
        assert theirs["key"].display_prefix not in html, name
        assert theirs["event"].webhook_id not in html, name
        assert bob.customer_id not in html, name
    csv = b"".join(carol_client.get(reverse("console:disclosures_csv")).streaming_content)
    assert bob.customer_id.encode() not in csv


HOSTILE = [
    "",
    "0",
    "-1",
    "9" * 30,
    "x' OR 1=1 --",
    "２０２６-１２-０１",
    "2026-02-30",
    "\u202e",
    "a" * 5000,
]


def _console_paths():
    for pattern in get_resolver().url_patterns:
        if getattr(pattern, "namespace", None) == "console":
            for inner in pattern.url_patterns:
                assert isinstance(inner, URLPattern)
                if "<" not in str(inner.pattern):
                    yield inner.name


@pytest.mark.parametrize("name", sorted(set(_console_paths())))
def test_hostile_input_is_never_a_server_error(carol_client, w0099, name):
    url = reverse(f"console:{name}")
    fields = ["state", "type", "since", "until", "page", "after", "url", "confirm", "next"]
    for value in HOSTILE:
        data = dict.fromkeys(fields, value)
        assert carol_client.get(url, data).status_code < 500, (url, value)
        assert carol_client.post(url, data).status_code < 500, (url, value)
