"""A rate guards capacity: when its cache cannot be reached, requests go through (logged)."""

import json
import logging
import socket

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.conftest import ALICE_KEY
from tests.factories import make_key, make_line, make_provider, set_notify
from wso_portal.settings.base import redis_cache


@pytest.fixture
def unreachable_cache(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{port}/0")}
    yield
    caches.close_all()


def test_a_look_up_goes_through_when_the_rate_cannot_be_counted(
    client, db, unreachable_cache, caplog
):
    provider = make_provider()
    line = make_line(ipv6_prefix="2001:db8:8000:100::/56")
    set_notify(line, provider)
    response = client.post(
        "/api/v1/lookups",
        json.dumps({"addresses": ["2001:db8:8000:100::1"]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {make_key(provider)[1]}"},
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["customer_id"] == line.customer_id
    assert any("rate not counted" in r.getMessage() for r in caplog.records)


def test_a_login_goes_through_when_the_rate_cannot_be_counted(
    client, alice, settings, unreachable_cache, caplog
):
    settings.WSO_LOGIN_RATE = "10/m"
    caplog.set_level(logging.ERROR, logger="wso_portal.rates")
    response = client.post(
        reverse("portal:login"), {"flets_number": alice.flets_number, "access_key": ALICE_KEY}
    )
    assert response.status_code == 302
    assert [r.getMessage() for r in caplog.records if r.name == "wso_portal.rates"] == [
        "rate not counted (cache unreachable) group=wso_portal.login key=127.0.0.1"
    ]
