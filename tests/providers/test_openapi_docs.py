"""/api/v1/docs for a provider's engineer: real examples (an address, CAF0123456789, a 400 with
its pointer), tags and summaries in Japanese and English, how to get a key, the rate as set and
Retry-After, the webhooks (OpenAPI 3.1) with their headers and how to verify them, and a
missing Authorization header said as such."""

import json

import pytest

from providers.api import MESSAGES

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    return json.loads(client.get("/api/v1/openapi.json").content)


def test_the_operation_has_a_tag_and_a_summary_in_both_languages(document):
    operation = document["paths"]["/api/v1/lookups"]["post"]
    assert operation["tags"] == ["照会 / Lookups"]
    assert operation["summary"].startswith("IPv6アドレスからお客様IDを照会する")
    assert "Look up Customer IDs by IPv6 address" in operation["summary"]
    assert "Looks up 1 to 100 IPv6 addresses." in operation["description"]
    names = [tag["name"] for tag in document["tags"]]
    assert names == ["照会 / Lookups", "即時通知 / Webhooks"]
    assert all(" / " in tag["description"] for tag in document["tags"])


def test_the_examples_are_real(document):
    request = document["components"]["schemas"]["LookupRequest"]
    assert request["examples"] == [{"addresses": ["2001:db8:100::1", "2001:db8:8000:100::1"]}]
    responses = document["paths"]["/api/v1/lookups"]["post"]["responses"]
    ok = responses["200"]["content"]["application/json"]
    assert ok["example"]["results"][0] == {
        "address": "2001:db8:100::1",
        "notified": True,
        "customer_id": "CAF0123456789",
    }
    assert "$ref" in json.dumps(ok["schema"])  # the schema is still there beside it
    bad = responses["400"]["content"]["application/problem+json"]["examples"]["not_ipv6"]
    assert bad["value"]["errors"] == [
        {"pointer": "#/addresses/1", "detail": "addresses[1] はIPv6アドレスではありません。"}
    ]
    assert bad["value"]["status"] == 400 and bad["value"]["title"] == "Bad Request"


def test_it_says_how_to_get_a_key_the_rate_as_set_and_retry_after(client, settings):
    settings.WSO_API_RATE_LIMIT = 37
    document = json.loads(client.get("/api/v1/openapi.json").content)
    description = document["info"]["description"]
    assert "manage.py provider_key create" in description and "/provider/" in description
    assert "毎秒 37 リクエストまで" in description and "37 requests a second per key" in description
    assert "Retry-After" in description
    retry = document["paths"]["/api/v1/lookups"]["post"]["responses"]["429"]["headers"]
    assert retry["Retry-After"]["schema"] == {"type": "integer"}


def test_the_webhooks_are_documented_with_their_headers_and_verification(document):
    webhooks = document["webhooks"]
    assert set(webhooks) == {"notification.enabled", "notification.disabled", "notification.test"}
    for name, item in webhooks.items():
        post = item["post"]
        assert post["tags"] == ["即時通知 / Webhooks"]
        assert [p["name"] for p in post["parameters"]] == [
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        ]
        assert all(p["in"] == "header" and p["required"] for p in post["parameters"])
        assert "HMAC-SHA256" in post["description"] and "5分以内" in post["description"]
        assert "Webhook(secret).verify(body, headers)" in post["description"]
        body = post["requestBody"]["content"]["application/json"]
        ref = body["schema"]["$ref"].rsplit("/", 1)[1]
        assert ref in document["components"]["schemas"]
        assert body["example"]["type"] == name
    enabled = webhooks["notification.enabled"]["post"]["requestBody"]["content"]
    assert enabled["application/json"]["example"]["data"]["customer_id"] == "CAF0123456789"


def test_a_missing_authorization_header_gets_its_own_message(client):
    body = json.dumps({"addresses": ["2001:db8:100::1"]})
    missing = client.post("/api/v1/lookups", body, content_type="application/json")
    assert missing.status_code == 401
    assert missing.json()["detail"] == MESSAGES["no_key"]
    assert missing["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post(
        "/api/v1/lookups",
        body,
        content_type="application/json",
        headers={"Authorization": "Bearer wso_" + "A" * 43},
    )
    assert wrong.json()["detail"] == MESSAGES["unauthorized"]
