"""同意記録: every receipt names the 同意書 version agreed to, links to its text (readable after a
new version), and offers the consent as a Consent Receipt (Kantara v1.1) in JSON."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator

from agreements.models import AgreementVersion
from agreements.receipts import receipt_id
from tests.factories import make_application, make_provider

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parent / "consent_receipt.schema.json").read_text("utf-8"))
AGREED = datetime(2026, 11, 26, 2, 5, 17, tzinfo=UTC)  # 11:05:17 JST
BODY = (
    "A. 「回線情報通知」提供事業者\r\n西日本電信電話株式会社(以下、「NTT西日本」)\n\n"
    "C. サービス概要\n通知されるのは「お客さまID」です。  \n"
)


def publish(number: int, *, body: str = BODY, days_ago: int = 30) -> AgreementVersion:
    return AgreementVersion.objects.create(
        version=number,
        title="「回線情報通知」の利用にあたっての同意書",
        body=body,
        effective_from=timezone.now() - timedelta(days=days_ago),
    )


def record_url(application) -> str:
    return reverse(
        "notification:consent_record", kwargs={"receipt_number": application.receipt_number}
    )


def receipt_url(application) -> str:
    return reverse("notification:receipt", kwargs={"receipt_number": application.receipt_number})


@pytest.fixture
def version():
    return publish(1)


@pytest.fixture
def application(alice, version):
    providers = [
        make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用"),
        make_provider(code="K0001", name="光電話株式会社", service_name="IP電話"),
    ]
    return make_application(
        alice, providers, number="20261126-483920", received_at=AGREED, agreement=version
    )


def download(client, application) -> dict:
    response = client.get(record_url(application))
    assert response.status_code == 200
    return json.loads(response.content.decode("utf-8"))


def test_the_download_is_utf8_json_named_by_the_receipt_number(alice_client, application):
    response = alice_client.get(record_url(application))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="consent-record-20261126-483920.json"'
    )
    assert "no-store" in response["Cache-Control"]  # personal data, like every subscriber page
    text = response.content.decode("utf-8")
    assert "西日本電信電話株式会社" in text  # not \\u-escaped: readable as it is


def test_the_download_validates_against_the_consent_receipt_schema(alice_client, application):
    Draft202012Validator.check_schema(SCHEMA)
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    record = download(alice_client, application)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(record)]
    assert errors == []


def test_the_schema_refuses_what_the_specification_requires(alice_client, application):
    """The schema is not a rubber stamp: a record missing a MUST field, or naming no third party
    while disclosing to one, fails it."""
    validator = Draft202012Validator(SCHEMA)
    record = download(alice_client, application)
    for field in ("version", "consentTimestamp", "piiPrincipalId", "piiControllers", "services"):
        broken = {k: v for k, v in record.items() if k != field}
        assert not validator.is_valid(broken), field
    purpose = record["services"][0]["purposes"][0]
    del purpose["thirdPartyName"]
    assert not validator.is_valid(record)
    record["consentTimestamp"] = "2026-11-26T11:05:17+09:00"
    assert not validator.is_valid(record)


def test_the_record_holds_the_consent_as_given(alice_client, alice, application, version):
    record = download(alice_client, application)
    assert record["version"] == "KI-CR-v1.1.0"
    assert record["jurisdiction"] == "JP"
    assert record["consentTimestamp"] == int(AGREED.timestamp()) == 1795658717
    assert record["collectionMethod"] == "サービス申込受付ページ"
    assert record["language"] == "ja"
    assert record["piiPrincipalId"] == alice.customer_id
    assert record["sensitive"] is False
    (controller,) = record["piiControllers"]
    assert controller["piiController"] == "西日本電信電話株式会社"
    assert controller["contact"] and controller["email"] and controller["phone"]
    assert controller["address"]["addressCountry"] == "JP"
    assert record["policyUrl"] == "http://testserver/agreements/1/"
    (service,) = record["services"]
    assert service["service"] == "回線情報通知"
    purposes = service["purposes"]
    for purpose in purposes:
        assert purpose["purpose"].startswith("回線情報通知")
        assert "お客様ID" in purpose["piiCategory"]
        assert purpose["consentType"] == "EXPLICIT"
        assert purpose["primaryPurpose"] is True
        assert purpose["thirdPartyDisclosure"] is True
    # One purpose for each provider, naming it as the third party told.
    assert [p["thirdPartyName"] for p in purposes] == [
        "K0001 光電話株式会社",
        "W0099 NTT西日本(試験用)",
    ]
    assert record["agreement"] == {
        "version": 1,
        "title": "「回線情報通知」の利用にあたっての同意書",
        "effectiveFrom": timezone.localtime(version.effective_from).isoformat(timespec="seconds"),
        "agreedAt": "2026-11-26T11:05:17+09:00",
        "textSha256": hashlib.sha256(BODY.encode("utf-8")).hexdigest(),
        "textUrl": "http://testserver/agreements/1/text/",
    }
    assert record["application"] == {
        "receiptNumber": "20261126-483920",
        "receivedAt": "2026-11-26T11:05:17+09:00",
        "direction": "通知する",
        "providers": [
            {
                "code": "K0001",
                "name": "光電話株式会社",
                "serviceName": "IP電話",
                "notificationSetting": "通知する",
            },
            {
                "code": "W0099",
                "name": "NTT西日本(試験用)",
                "serviceName": "試験用",
                "notificationSetting": "通知する",
            },
        ],
    }


def test_the_hash_is_of_the_text_exactly_as_stored(alice_client, application, version):
    stored = AgreementVersion.objects.get(pk=version.pk).body
    assert "\r\n" in stored and stored.endswith("  \n")  # nothing normalised on the way
    record = download(alice_client, application)
    assert record["agreement"]["textSha256"] == hashlib.sha256(stored.encode("utf-8")).hexdigest()
    # The text the record links to is those very bytes.
    text = Client().get(reverse("agreements:version_text", args=[1]))
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert hashlib.sha256(text.content).hexdigest() == record["agreement"]["textSha256"]


def test_the_receipt_id_is_stable_and_each_applications_own(alice_client, alice, version):
    first = make_application(alice, [make_provider()], agreement=version)
    second = make_application(alice, [make_provider()], agreement=version)
    one = download(alice_client, first)["consentReceiptID"]
    assert download(alice_client, first)["consentReceiptID"] == one == receipt_id(first)
    assert uuid.UUID(one).version == 5
    assert one != str(first.submission_token)  # the submission token itself is not shown
    assert download(alice_client, second)["consentReceiptID"] != one


def test_an_application_to_stop_notifying_records_the_consent_to_the_disclosure_it_ends(
    alice_client, alice, version
):
    provider = make_provider(code="S0001", name="停止事業者")
    stop = make_application(alice, [provider], direction="stop", agreement=version)
    record = download(alice_client, stop)
    (purpose,) = record["services"][0]["purposes"]
    assert purpose["thirdPartyDisclosure"] is True
    assert purpose["thirdPartyName"] == "S0001 停止事業者"
    assert record["application"]["direction"] == "通知しない"
    assert [p["notificationSetting"] for p in record["application"]["providers"]] == ["通知しない"]
    assert Draft202012Validator(SCHEMA).is_valid(record)


def test_the_record_keeps_the_version_agreed_to_after_a_new_one(alice_client, application):
    publish(2, body="第2版の本文", days_ago=1)
    record = download(alice_client, application)
    assert record["agreement"]["version"] == 1
    assert record["policyUrl"].endswith("/agreements/1/")
    assert record["agreement"]["textSha256"] == hashlib.sha256(BODY.encode()).hexdigest()


def test_alice_cannot_download_bobs_record(alice_client, bob, version):
    bobs = make_application(bob, [make_provider()], agreement=version, number="20261126-000001")
    response = alice_client.get(record_url(bobs))
    assert response.status_code == 404
    # The portal's 404 page: only the language links name the page asked for.
    html = response.content.decode().replace(f"?next={record_url(bobs)}", "")
    assert bobs.receipt_number not in html
    assert bob.customer_id not in html


def test_an_unknown_receipt_number_has_no_record(alice_client):
    response = alice_client.get(
        reverse("notification:consent_record", kwargs={"receipt_number": "20261126-999999"})
    )
    assert response.status_code == 404


def test_the_record_needs_a_login(client, application):
    response = client.get(record_url(application))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_the_receipt_names_the_version_and_offers_the_record(alice_client, application):
    response = alice_client.get(receipt_url(application))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="consent-record"' in html
    assert 'href="/agreements/1/" data-testid="agreement-link"' in html
    assert "第1版 「回線情報通知」の利用にあたっての同意書" in html
    assert "2026年11月26日 11時05分17秒" in html  # agreed at, in JST
    assert f'href="{record_url(application)}" download' in html
    assert "同意記録（JSON）をダウンロード" in html


def test_the_old_versions_page_still_shows_after_a_new_one(client, alice_client, application):
    publish(2, body="第2版の本文", days_ago=1)
    # From the receipt's link, for the subscriber…
    html = alice_client.get(receipt_url(application)).content.decode()
    assert 'href="/agreements/1/"' in html
    # …and for anyone the record is shown to, without a login.
    for who in (alice_client, Client()):
        response = who.get(reverse("agreements:version", args=[1]))
        page = response.content.decode()
        assert response.status_code == 200
        assert "西日本電信電話株式会社(以下、「NTT西日本」)" in page
        assert 'data-version="1"' in page
        assert "第2版の本文" not in page
        assert "現在の同意書は第2版です。" in page
        assert 'href="/agreements/2/"' in page
    current = Client().get(reverse("agreements:version", args=[2])).content.decode()
    assert "第2版の本文" in current and 'data-testid="superseded"' not in current


def test_the_version_page_is_in_the_portals_look(client, version):
    html = client.get(reverse("agreements:version", args=[1])).content.decode()
    assert '<h1 class="page__title">同意書（第1版）</h1>' in html
    assert "css/portal.css" in html and "site-footer" in html
    assert 'data-testid="agreement-body"' in html


def test_a_version_not_yet_in_force_or_unknown_is_not_shown(client, version):
    AgreementVersion.objects.create(
        version=2,
        title="改訂版",
        body="まだ適用されていない本文",
        effective_from=timezone.now() + timedelta(days=7),
    )
    for number in (2, 3):
        assert client.get(reverse("agreements:version", args=[number])).status_code == 404
        assert client.get(reverse("agreements:version_text", args=[number])).status_code == 404
    assert client.get("/agreements/0/").status_code == 404
    assert client.get("/agreements/abc/").status_code == 404


def test_the_record_stays_in_japanese_whatever_the_screens_language(client, alice, application):
    """The consent was given in Japanese: the record's values are the words it was given in."""
    client.force_login(alice.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    record = download(client, application)
    assert record["language"] == "ja"
    assert record["application"]["direction"] == "通知する"
    assert record["collectionMethod"] == "サービス申込受付ページ"


def test_the_receipt_reads_the_version_with_its_application(alice_client, application):
    """The 同意書 named on the receipt costs no query of its own."""
    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get(receipt_url(application)).status_code == 200
    own = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "agreements_agreementversion"')
    ]
    assert own == []
