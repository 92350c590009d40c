"""One format for every time a person reads: 2026年11月26日 11時05分17秒 on the receipt, the
history, the 提供履歴, the completion mail and the admin (26 November 2026 11:05:17 JST in
English); ISO 8601 with its offset in JSON."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import formats, translation

from tests.factories import make_application, make_provider

AT = datetime(2026, 11, 26, 11, 5, 17, tzinfo=ZoneInfo("Asia/Tokyo"))
SHOWN = "2026年11月26日 11時05分17秒"


def test_the_format_is_the_receipts_in_japanese_and_spelt_out_in_english():
    with translation.override("ja"):
        assert formats.date_format(AT, "DATETIME_FORMAT") == SHOWN
    with translation.override("en"):
        assert formats.date_format(AT, "DATETIME_FORMAT") == "26 November 2026 11:05:17 JST"


@pytest.fixture
def application(alice):
    return make_application(alice, [make_provider()], received_at=AT)


def test_the_receipt_and_the_history_write_it_alike(alice_client, application):
    receipt = reverse("notification:receipt", args=[application.receipt_number])
    assert (
        f'<td data-testid="received-at">{SHOWN}</td>' in alice_client.get(receipt).content.decode()
    )
    history = alice_client.get(reverse("notification:history")).content.decode()
    assert f'<td data-label="受付日時">{SHOWN}</td>' in history


def test_the_admin_writes_it_with_seconds(admin_client, application):
    page = admin_client.get(reverse("admin:notification_application_changelist"))
    assert SHOWN in page.content.decode()


def test_json_carries_iso_8601_with_the_offset(alice_client, application):
    url = reverse("notification:consent_record", args=[application.receipt_number])
    record = alice_client.get(url).json()
    assert record["application"]["receivedAt"] == "2026-11-26T11:05:17+09:00"
