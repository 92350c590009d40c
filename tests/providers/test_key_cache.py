"""A worker keeps the keys it has found for WSO_API_KEY_CACHE_SECONDS: a revocation elsewhere
reaches it within that bound, one in the same process at once."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notification.models import ServiceProvider
from providers.key_cache import CachedKey, KeyCache, live_keys
from providers.models import KEY_DISPLAY_LENGTH, ProviderKey, hash_key, new_key
from providers.services import authenticate, revoke_key
from tests.factories import make_key, make_line, make_provider, set_notify

URL = "/api/v1/lookups"
ADDRESS = "2001:db8:8000:100::1"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(settings, monkeypatch):
    """The key cache on, as in production, on a clock the test moves."""
    settings.WSO_API_KEY_CACHE_SECONDS = 5
    clock = Clock()
    monkeypatch.setattr(live_keys, "clock", clock)
    live_keys.clear()
    cache.clear()  # the rate counts
    yield clock
    live_keys.clear()


@pytest.fixture
def provider(db):
    provider = make_provider(code="W0099")
    set_notify(make_line(ipv6_prefix="2001:db8:8000:100::/56"), provider)
    return provider


def lookup(client, key: str) -> int:
    response = client.post(
        URL,
        json.dumps({"addresses": [ADDRESS]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    return response.status_code


def test_a_key_revoked_in_another_process_works_until_the_bound_has_passed(client, provider, clock):
    record, plain = make_key(provider)
    assert lookup(client, plain) == 200
    # Another worker's revocation: this process hears nothing of it.
    ProviderKey.objects.filter(pk=record.pk).update(revoked_at=timezone.now())
    clock.now += 4.9
    assert lookup(client, plain) == 200
    clock.now += 0.1
    assert lookup(client, plain) == 401


def test_a_key_revoked_in_this_process_is_refused_at_once(client, provider, clock):
    record, plain = make_key(provider)
    assert lookup(client, plain) == 200
    assert revoke_key(record)
    assert lookup(client, plain) == 401


def test_an_inactive_provider_is_refused_within_the_bound(client, provider, clock):
    plain = make_key(provider)[1]
    assert lookup(client, plain) == 200
    ServiceProvider.objects.filter(pk=provider.pk).update(active=False)
    clock.now += 4.9
    assert lookup(client, plain) == 200
    clock.now += 0.1
    assert lookup(client, plain) == 403


def test_a_cached_look_up_sends_one_query_less(client, provider, clock, settings):
    plain = make_key(provider)[1]
    assert lookup(client, plain) == 200  # its last-used time is fresh, the key kept

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert lookup(client, plain) == 200
        return [q["sql"] for q in captured.captured_queries]

    cached = queries()
    settings.WSO_API_KEY_CACHE_SECONDS = 0
    uncached = queries()
    assert len(cached) == len(uncached) - 1
    assert not any("providers_providerkey" in sql for sql in cached)


def test_a_key_not_found_is_not_kept_so_a_new_key_works_at_once(client, provider, clock):
    plain = new_key()
    for _ in range(3):
        assert lookup(client, plain) == 401
    assert len(live_keys) == 0
    ProviderKey.objects.create(
        provider=provider, display_prefix=plain[:KEY_DISPLAY_LENGTH], hashed_key=hash_key(plain)
    )
    assert lookup(client, plain) == 200


def test_a_kept_keys_last_used_time_is_still_written_once_a_minute(provider, clock, settings):
    settings.WSO_API_KEY_CACHE_SECONDS = 600  # longer than the minute: the kept entry decides
    record, plain = make_key(provider)
    start = timezone.now()

    def use(seconds: int) -> list[dict]:
        with CaptureQueriesContext(connection) as captured:
            assert authenticate(plain, now=start + timedelta(seconds=seconds)) is not None
        return captured.captured_queries

    assert len(use(0)) == 2  # the key, then its last-used time
    assert use(59) == []
    assert len(use(60)) == 1
    record.refresh_from_db()
    assert record.last_used_at == start + timedelta(seconds=60)


def test_the_cache_holds_at_most_its_size_dropping_the_oldest_read():
    keys = KeyCache(size=2, clock=Clock())
    for n in range(3):
        keys.put(f"hash{n}", CachedKey(n, 1, True, keys.clock(), timezone.now()))
    assert len(keys) == 2
    assert keys.get("hash0", seconds=5) is None
    assert keys.get("hash2", seconds=5).key_id == 2
