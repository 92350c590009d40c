"""The services, announcements and current 同意書 are read once per few seconds per process."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.services import current_version
from tests.factories import make_agreement
from wso_portal.models import Announcement
from wso_portal.views import published_announcements, services

CACHED = (services, published_announcements, current_version)


@pytest.fixture
def read_cache(settings):
    settings.WSO_READ_CACHE_SECONDS = 5
    for function in CACHED:
        function.forget()
    yield
    for function in CACHED:
        function.forget()


def queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_top_page_reads_services_and_announcements_once_per_few_seconds(
    alice_client, read_cache
):
    first = queries(alice_client, reverse("portal:top"))
    second = queries(alice_client, reverse("portal:top"))
    assert any("wso_portal_service" in sql and "servicecontract" not in sql for sql in first)
    assert any("wso_portal_announcement" in sql for sql in first)
    assert not any("wso_portal_announcement" in sql for sql in second)
    assert len(second) == len(first) - 2


def test_an_announcement_shows_once_the_few_seconds_are_over(alice_client, read_cache):
    alice_client.get(reverse("portal:top"))
    Announcement.objects.create(text="メンテナンスのお知らせ")
    assert "メンテナンスのお知らせ" not in alice_client.get(reverse("portal:top")).content.decode()
    published_announcements.forget()  # as the seconds running out does
    assert "メンテナンスのお知らせ" in alice_client.get(reverse("portal:top")).content.decode()


def test_the_current_agreement_is_read_once_per_few_seconds(db, read_cache):
    version = make_agreement()
    assert current_version() == version
    with CaptureQueriesContext(connection) as captured:
        assert current_version() == version
    assert captured.captured_queries == []
