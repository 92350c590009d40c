"""The look-up beside the 工事 on PostgreSQL, and the rate counted in the shared Redis."""

import json
import os
import threading
import time
import uuid

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.utils import timezone

from notification.work import apply_now
from providers.services import lookups_tally
from tests.factories import make_application, make_key, make_line, make_provider, set_notify
from wso_portal import rates
from wso_portal.rates import TALLY_SECONDS
from wso_portal.settings.base import redis_cache as redis_cache_settings

URL = "/api/v1/lookups"
ADDRESS = "2001:db8:8000:100::1"
REDIS_URL = os.environ.get("WSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def lookup(key: str, address: str = ADDRESS):
    return Client().post(
        URL,
        json.dumps({"addresses": [address]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent transactions"
)
def test_a_look_up_racing_the_work_sees_the_old_or_the_new_setting(settings):
    settings.WSO_API_RATE_LIMIT = 1_000_000
    provider = make_provider(code="W0099")
    line = make_line(ipv6_prefix="2001:db8:8000:100::/56")
    set_notify(line, provider)
    key = make_key(provider)[1]
    application = make_application(line, [provider], direction="stop", wants_mail=False)
    answers, failures, done = [], [], threading.Event()

    def keep_looking():
        try:
            while not done.is_set() or len(answers) < 20:
                response = lookup(key)
                if response.status_code != 200:
                    failures.append(response.content)
                    return
                answers.append(response.json()["results"][0]["notified"])
        finally:
            connection.close()

    looker = threading.Thread(target=keep_looking, daemon=True)
    looker.start()
    while len(answers) < 5 and not failures:
        time.sleep(0.01)
    apply_now(application.pk, by="operator")
    done.set()
    looker.join(30)
    assert not looker.is_alive()
    assert failures == []
    # Told until the 工事 committed, then never again.
    first_refusal = answers.index(False)
    assert all(answers[:first_refusal]) and first_refusal >= 5
    assert not any(answers[first_refusal:])
    assert lookup(key).json()["results"][0]["notified"] is False


@pytest.fixture
def redis_cache(settings):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"wso-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {**redis_cache_settings(REDIS_URL), "KEY_PREFIX": prefix}}
    yield client, prefix
    for name in client.scan_iter(f"{prefix}*"):
        client.delete(name)
    caches.close_all()


@pytest.mark.django_db(transaction=True)  # the threads see committed rows only
def test_the_rate_is_counted_in_redis_across_workers(redis_cache, settings):
    client, prefix = redis_cache
    settings.WSO_API_RATE_LIMIT = 5
    # Five requests inside one second's window; a window that turns meanwhile splits the count,
    # so a few tries are allowed, each with a provider of its own (a count of its own). The
    # address is in no line: the threads only read (SQLite's test database takes one writer).
    for _ in range(3):
        key = make_key(make_provider())[1]
        statuses = [lookup(key, "2001:db8:ffff::1").status_code]  # its last-used time, once

        def worker(key, statuses):
            # Each thread has its own cache connection, as each worker process has its own.
            try:
                statuses.extend(lookup(key, "2001:db8:ffff::1").status_code for _ in range(2))
            finally:
                caches.close_all()
                connection.close()

        workers = [threading.Thread(target=worker, args=(key, statuses)) for _ in range(2)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(10)
        refused = lookup(key, "2001:db8:ffff::1")
        if refused.status_code == 429:
            break
    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    counted = [int(client.get(name)) for name in client.scan_iter(f"{prefix}*")]
    assert 6 in counted


@pytest.mark.django_db
def test_a_look_ups_rate_and_the_days_tally_are_counted_in_one_redis_round_trip(
    redis_cache, settings, monkeypatch
):
    client, prefix = redis_cache
    settings.WSO_API_RATE_LIMIT = 2
    provider = make_provider()
    key = make_key(provider)[1]
    # The count is per whole second: start at one's beginning, so all three fall in its window.
    time.sleep(1 - time.time() % 1)
    assert lookup(key, "2001:db8:ffff::1").status_code == 200  # the connection opened
    sent = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(redis_connection, command, *args, **kwargs):
        sent.append(command)
        return send(redis_connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    assert lookup(key, "2001:db8:ffff::1").status_code == 200
    assert len(sent) == 1  # INCR and EXPIRE NX, the rate's and the day's tally's, pipelined
    refused = lookup(key, "2001:db8:ffff::1")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert len(sent) == 3  # a refused one pays a second: taken back out of the tally
    tally = caches["default"].make_key(lookups_tally(provider.pk, timezone.localdate()))
    [rate] = {name.decode() for name in client.scan_iter(f"{prefix}*")} - {tally}
    assert int(client.get(rate)) == 3
    assert 0 < client.pttl(rate) <= 2000
    assert int(client.get(tally)) == 2
    assert 0 < client.ttl(tally) <= TALLY_SECONDS
    assert rates.tallies([lookups_tally(provider.pk, timezone.localdate())]) == {
        lookups_tally(provider.pk, timezone.localdate()): 2
    }
