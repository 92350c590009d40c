"""POST /api/v1/lookups: the contract providers code against, row by row."""

import io
import json
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notification.models import Application
from notification.work import apply_now
from providers.models import Disclosure, ProviderKey
from providers.services import revoke_key
from tests.factories import make_application, make_key, make_line, make_provider, set_notify
from tests.statements import statements_sent
from wso_portal.models import SubscriberLine

URL = "/api/v1/lookups"
NOT_NOTIFIED = {"notified": False, "customer_id": None}
UNAUTHORIZED = "APIキーが正しくないか、失効しています。"


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


def lookup(client, addresses, key, **extra):
    return post(client, {"addresses": addresses}, key, **extra)


def post(client, body, key, *, raw: bytes | None = None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data, content_type=content_type, headers=headers)


def results(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["results"]


def assert_problem(response, status, detail=None):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    if detail is not None:
        assert body["detail"] == detail
    return body


# Notified only where the line says 通知する for the caller ---------------------------------------


def test_it_tells_the_customer_id_for_an_address_in_a_notifying_line(client, line, key):
    assert results(lookup(client, ["2001:db8:8000:100::1"], key)) == [
        {"address": "2001:db8:8000:100::1", "notified": True, "customer_id": line.customer_id}
    ]


def test_no_cache_may_keep_an_answer(client, line, key):
    response = lookup(client, ["2001:db8:8000:100::1"], key)
    assert results(response)[0]["notified"]
    assert "no-store" in response.get("Cache-Control", "")


def test_it_answers_the_same_for_every_case_it_may_not_tell(client, provider, key):
    other = make_provider()
    elsewhere = make_line(ipv6_prefix="2001:db8:8000:200::/56")
    set_notify(elsewhere, other)  # another provider's 通知する
    stopped = make_line(ipv6_prefix="2001:db8:8000:300::/56")
    set_notify(stopped, provider, notify=False)  # 通知しない
    for prefix, status in [("400", "suspended"), ("500", "cancelled")]:
        line = make_line(ipv6_prefix=f"2001:db8:8000:{prefix}::/56", status=status)
        set_notify(line, provider)
    addresses = [
        "2001:db8:9999::1",  # no line there
        "2001:db8:8000:200::1",
        "2001:db8:8000:300::1",
        "2001:db8:8000:400::1",
        "2001:db8:8000:500::1",
    ]
    response = lookup(client, addresses, key)
    assert results(response) == [{"address": a, **NOT_NOTIFIED} for a in addresses]
    assert not Disclosure.objects.exists()


def test_it_answers_in_the_order_asked_and_echoes_each_address_as_sent(client, line, key):
    addresses = ["2001:DB8:9999::1", "2001:0db8:8000:0100:0000:0000:0000:0002"]
    assert [r["address"] for r in results(lookup(client, addresses, key))] == addresses
    assert [r["notified"] for r in results(lookup(client, addresses, key))] == [False, True]


def test_an_application_in_work_does_not_disclose_until_it_is_applied(client, provider, key):
    line = make_line(ipv6_prefix="2001:db8:8000:600::/56")
    application = make_application(line, [provider], direction="notify", wants_mail=False)
    assert results(lookup(client, ["2001:db8:8000:600::1"], key)) == [
        {"address": "2001:db8:8000:600::1", **NOT_NOTIFIED}
    ]
    apply_now(application.pk, by="operator")
    assert results(lookup(client, ["2001:db8:8000:600::1"], key))[0]["notified"] is True


def test_a_completed_stop_ends_disclosure_at_once(client, line, provider, key):
    address = "2001:db8:8000:100::1"
    assert results(lookup(client, [address], key))[0]["notified"] is True
    application = make_application(line, [provider], direction="stop", wants_mail=False)
    assert results(lookup(client, [address], key))[0]["notified"] is True  # still in 工事
    apply_now(application.pk, by="operator")
    assert Application.objects.get(pk=application.pk).state == Application.State.COMPLETED
    assert results(lookup(client, [address], key)) == [{"address": address, **NOT_NOTIFIED}]


# Prefixes ------------------------------------------------------------------------------------


def test_the_first_and_last_address_of_a_56_are_in_and_its_neighbours_are_not(client, line, key):
    inside = ["2001:db8:8000:100::", "2001:db8:8000:1ff:ffff:ffff:ffff:ffff"]
    outside = ["2001:db8:8000:ff:ffff:ffff:ffff:ffff", "2001:db8:8000:200::"]
    answers = results(lookup(client, inside + outside, key))
    assert [a["notified"] for a in answers] == [True, True, False, False]


@pytest.mark.parametrize(
    ("prefix", "inside", "outside"),
    [
        ("2001:db8:7000::/48", "2001:db8:7000:ffff:ffff:ffff:ffff:ffff", "2001:db8:7001::"),
        ("2001:db8:7100:1::/64", "2001:db8:7100:1:ffff:ffff:ffff:ffff", "2001:db8:7100:2::"),
        # A /64 at the start of a /56: the address beside it shares the /56's first address.
        ("2001:db8:7200::/64", "2001:db8:7200::ffff", "2001:db8:7200:1::"),
    ],
)
def test_lines_of_48_and_64_are_found_too(client, provider, key, prefix, inside, outside):
    line = make_line(ipv6_prefix=prefix)
    set_notify(line, provider)
    answers = results(lookup(client, [inside, outside], key))
    assert answers[0] == {"address": inside, "notified": True, "customer_id": line.customer_id}
    assert answers[1] == {"address": outside, **NOT_NOTIFIED}


def test_a_changed_prefix_is_followed_at_once(client, line, key):
    line.ipv6_prefix = "2001:db8:8000:a00::/56"
    line.full_clean()
    line.save()
    answers = results(lookup(client, ["2001:db8:8000:100::1", "2001:db8:8000:a00::1"], key))
    assert [a["notified"] for a in answers] == [False, True]


# Keys ----------------------------------------------------------------------------------------


def test_two_live_keys_both_work_during_a_rotation(client, line, provider, key):
    second = make_key(provider)[1]
    for k in (key, second):
        assert results(lookup(client, ["2001:db8:8000:100::1"], k))[0]["notified"] is True


def test_a_revoked_key_is_refused_like_a_wrong_one(client, line, provider):
    """(A missing header is said as such: tests/providers/test_openapi_docs.py.)"""
    record, plain = make_key(provider)
    revoke_key(record)
    wrong = "wso_" + "A" * 43
    for k in (plain, wrong, "not-a-wso-key"):
        response = lookup(client, ["2001:db8:8000:100::1"], k)
        assert_problem(response, 401, UNAUTHORIZED)
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("authorization", ["Bearer {} ", "Bearer  {}", "Bearer {}\t", "Bearer {}x"])
def test_a_key_with_anything_beside_it_is_refused(client, line, key, authorization):
    body = json.dumps({"addresses": ["2001:db8:8000:100::1"]})
    headers = {"Authorization": authorization.format(key)}
    response = client.post(URL, body, content_type="application/json", headers=headers)
    assert_problem(response, 401, UNAUTHORIZED)
    assert not Disclosure.objects.exists()


def test_a_provider_sends_no_csrf_token(line, key):
    assert results(lookup(Client(enforce_csrf_checks=True), ["2001:db8:8000:100::1"], key))


def test_another_providers_key_gets_that_providers_answer(client, line):
    other_key = make_key(make_provider())[1]
    assert results(lookup(client, ["2001:db8:8000:100::1"], other_key)) == [
        {"address": "2001:db8:8000:100::1", **NOT_NOTIFIED}
    ]


def test_an_inactive_providers_keys_do_not_work(client, line, provider, key):
    provider.active = False
    provider.save()
    body = assert_problem(lookup(client, ["2001:db8:8000:100::1"], key), 403)
    assert "利用できません" in body["detail"]


# The disclosure log --------------------------------------------------------------------------


def test_each_disclosure_is_logged_once_with_line_provider_key_and_address(client, line, provider):
    record, plain = make_key(provider)
    lookup(client, ["2001:db8:8000:100::1", "2001:db8:8000:100::1", "2001:db8:9999::1"], plain)
    logged = list(Disclosure.objects.values_list("line", "provider", "key", "address"))
    assert logged == [(line.pk, provider.pk, record.pk, "2001:db8:8000:100::1")]
    assert timezone.now() - Disclosure.objects.get().at < timedelta(seconds=30)


def test_a_keys_last_used_time_is_written_at_most_once_a_minute(client, line, provider):
    record, plain = make_key(provider)
    assert record.last_used_at is None
    lookup(client, ["2001:db8:8000:100::1"], plain)
    record.refresh_from_db()
    first_use = record.last_used_at
    assert timezone.now() - first_use < timedelta(seconds=30)
    lookup(client, ["2001:db8:8000:100::1"], plain)
    record.refresh_from_db()
    assert record.last_used_at == first_use
    a_minute_before = first_use - timedelta(minutes=1)
    ProviderKey.objects.filter(pk=record.pk).update(last_used_at=a_minute_before)
    lookup(client, ["2001:db8:8000:100::1"], plain)
    record.refresh_from_db()
    assert record.last_used_at >= first_use


def test_a_batch_of_100_is_read_in_one_query_and_logged_in_one_insert(client, provider, key):
    lines = [make_line(ipv6_prefix=f"2001:db8:8100:{n:x}00::/56") for n in range(1, 51)]
    for line in lines:
        set_notify(line, provider)
    addresses = [f"2001:db8:8100:{n:x}00::{i}" for n in range(1, 51) for i in (1, 2)]
    lookup(client, addresses[:1], key)  # the key's last-used time is now fresh
    with CaptureQueriesContext(connection) as queries:
        answers = results(lookup(client, addresses, key))
    assert all(a["notified"] for a in answers)
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len(inserts) == 1
    if connection.vendor == "postgresql":  # the lines read and the rows logged by one statement
        assert inserts[0].split()[0] == "WITH" and len(queries) <= 2, queries.captured_queries
    else:
        assert len(queries) <= 3, queries.captured_queries
    assert Disclosure.objects.count() == 101


def test_large_batches_of_any_size_run_the_same_statements_on_postgresql(client, provider, key):
    """Past psycopg's 50 parameters, whose statements it parses again on every execution, a
    batch's values go as arrays: one text, prepared and parsed once, whatever the size."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite prepares nothing across requests")
    lines = [make_line(ipv6_prefix=f"2001:db8:8200:{n:x}00::/56") for n in range(1, 61)]
    for line in lines:
        set_notify(line, provider)
    lookup(client, ["2001:db8:8200:100::1"], key)  # the key's last-used time is now fresh

    def statements(batch: int) -> list[str]:
        addresses = [f"2001:db8:8200:{n:x}00::1" for n in range(1, batch + 1)]
        with statements_sent() as texts:
            answers = results(lookup(client, addresses, key))
        assert all(a["notified"] for a in answers)
        return texts

    assert statements(50) == statements(60)
    assert statements(1) != statements(2)  # small ones written out, planned once per size
    assert Disclosure.objects.count() == 1 + 50 + 60 + 1 + 2


# Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", "リクエストの本文をJSONとして読み取れません。"),
        (b'{"addresses": ["::1"], "extra": 1}', "「extra」は使えない項目です。"),
        (b'{"addresses": []}', "addresses には1件以上のアドレスを指定してください。"),
        (b"{}", "addresses を指定してください。"),
        (b'{"addresses": "::1"}', "addresses はIPv6アドレス (文字列) の配列にしてください。"),
        (b'{"addresses": ["::1", "192.0.2.1"]}', "addresses[1] はIPv6アドレスではありません。"),
        (b'{"addresses": ["fe80::1%eth0"]}', "addresses[0] はIPv6アドレスではありません。"),
        (b'["::1"]', "リクエストの本文は"),
    ],
)
def test_a_malformed_body_is_a_400_problem(client, line, key, raw, detail):
    body = assert_problem(post(client, None, key, raw=raw), 400)
    assert body["detail"].startswith(detail)
    assert not Disclosure.objects.exists()


def test_101_addresses_are_refused(client, line, key):
    body = assert_problem(lookup(client, ["2001:db8:8000:100::1"] * 101, key), 400)
    assert body["detail"] == "addresses に指定できるアドレスは100件までです。"
    assert body["errors"] == [{"pointer": "#/addresses", "detail": body["detail"]}]


def test_a_body_over_64_kib_is_a_413_problem(client, line, key):
    raw = json.dumps({"addresses": ["2001:db8:8000:100::1"], "pad": "x" * 65536}).encode()
    assert_problem(post(client, None, key, raw=raw), 413, "リクエストの本文が64KiBを超えています。")


def post_chunked(client, raw: bytes, key, *, terminated=True):
    """As gunicorn hands a chunked body over: no CONTENT_LENGTH, an input that ends with it."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
    }
    environ = {"wsgi.input": io.BytesIO(raw), "wsgi.input_terminated": terminated}
    return client.generic("POST", URL, headers=headers, **environ)


def test_a_chunked_body_is_read(client, line, key):
    raw = json.dumps({"addresses": ["2001:db8:8000:100::1"]}).encode()
    assert results(post_chunked(client, raw, key))[0]["notified"] is True


def test_a_chunked_body_over_64_kib_is_a_413_problem(client, line, key):
    raw = json.dumps({"addresses": ["2001:db8:8000:100::1"], "pad": "x" * 65536}).encode()
    detail = "リクエストの本文が64KiBを超えています。"
    assert_problem(post_chunked(client, raw, key), 413, detail)
    assert not Disclosure.objects.exists()


def test_a_chunked_body_a_server_cannot_read_to_its_end_is_a_411_problem(client, line, key):
    raw = json.dumps({"addresses": ["2001:db8:8000:100::1"]}).encode()
    body = assert_problem(post_chunked(client, raw, key, terminated=False), 411)
    assert "Content-Length" in body["detail"]
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    "method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "FOO"]
)
def test_other_methods_are_a_405_problem(client, key, method):
    response = client.generic(method, URL, headers={"Authorization": f"Bearer {key}"})
    assert_problem(response, 405, "このURLで使えるメソッドは POST だけです。")
    assert response["Allow"] == "POST"


def test_head_is_a_405_problem_too(client, key):
    response = client.head(URL, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/api/v2/x",
        "/api/v1/nope",
        "/api/v1/lookups/",
        "/api/v1/docs/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_other_path_under_api_is_a_404_problem_naming_the_lookups_url(key, path, method):
    body = json.dumps({"addresses": ["2001:db8:8000:100::1"]})
    response = Client(enforce_csrf_checks=True).generic(
        method,
        path,
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert_problem(response, 404, "このURLはありません。照会のURLは /api/v1/lookups です。")
    assert not Disclosure.objects.exists()


def test_past_the_rate_a_key_gets_429_with_retry_after(client, line, provider, key, settings):
    settings.WSO_API_RATE_LIMIT = 3
    other_key = make_key(make_provider())[1]
    # The count is per whole second: start at one's beginning, so all four fall in its window.
    time.sleep(1 - time.time() % 1)
    statuses = [lookup(client, ["2001:db8:8000:100::1"], key).status_code for _ in range(3)]
    refused = lookup(client, ["2001:db8:8000:100::1"], key)
    assert statuses == [200, 200, 200]
    assert_problem(refused, 429)
    assert refused["Retry-After"] == "1"
    assert Disclosure.objects.count() == 3
    # The count is per key: another provider's key is not held back.
    assert lookup(client, ["2001:db8:8000:100::1"], other_key).status_code == 200


def test_the_openapi_document_describes_the_contract(client):
    raw = client.get("/api/v1/openapi.json").content
    # Each key once (a JSON parser keeps the last of two; Redoc refuses the document).
    json.loads(raw, object_pairs_hook=no_duplicate_keys)
    document = json.loads(raw)
    assert document["openapi"].startswith("3.1")
    operation = document["paths"]["/api/v1/lookups"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "405", "411", "413", "429"}
    assert "application/problem+json" in operation["responses"]["401"]["content"]
    schema = document["components"]["schemas"]["LookupRequest"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["addresses"]["maxItems"] == 100


def no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


def test_the_docs_page_uses_the_projects_own_static_files(client):
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


# Overlapping prefixes ------------------------------------------------------------------------


OVERLAPPING = ["2001:db8:8000::/48", "2001:db8:8000:100::/56", "2001:db8:8000:1ff::/64"]


@pytest.mark.parametrize("prefix", OVERLAPPING)
def test_an_overlapping_prefix_is_refused_with_a_message(line, prefix):
    with pytest.raises(ValidationError) as refused:
        SubscriberLine(ipv6_prefix=prefix).clean()
    assert refused.value.message_dict["ipv6_prefix"] == [
        f"IPv6プレフィックスが回線 {line.flets_number} の {line.ipv6_prefix} と重なっています。"
    ]


@pytest.mark.parametrize("prefix", OVERLAPPING)
def test_the_database_refuses_an_overlapping_prefix(line, prefix):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_line(ipv6_prefix=prefix)
    moved = make_line(ipv6_prefix="2001:db8:8000:a00::/56")
    moved.ipv6_prefix = prefix
    with pytest.raises(IntegrityError), transaction.atomic():
        moved.save()


def test_neighbouring_prefixes_are_accepted(line):
    for prefix in ["2001:db8:8000:200::/56", "2001:db8:8000::/64", "2001:db8:8001::/48"]:
        SubscriberLine(ipv6_prefix=prefix).clean()
        make_line(ipv6_prefix=prefix)
    assert SubscriberLine.objects.count() == 4


def test_each_address_is_parsed_once(client, line, key, monkeypatch):
    import ipaddress

    parsed = []
    init = ipaddress.IPv6Address.__init__

    def counted(self, address):
        parsed.append(address)
        init(self, address)

    monkeypatch.setattr(ipaddress.IPv6Address, "__init__", counted)
    addresses = [f"2001:db8:8000:100::{n:x}" for n in range(1, 51)]
    response = lookup(client, addresses, key)
    assert response.status_code == 200
    assert sorted(parsed) == sorted(addresses)  # by the request's schema, and only there
