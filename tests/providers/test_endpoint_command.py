"""`manage.py provider_endpoint CODE [--url URL | --rotate]`: the signing secret alone on stdout,
once, when one is made; the URL checked; never a stored secret printed afterwards."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from providers.models import Endpoint, EndpointSecret
from providers.webhooks import register_endpoint, signing_secrets

from ..factories import make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


def run(*args) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("provider_endpoint", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_registering_prints_the_new_secret_alone_on_stdout(provider):
    out, err = run("W0099", "--url", "http://127.0.0.1:8001/hooks/wso")
    assert out.endswith("\n") and out.count("\n") == 1
    secret = out.strip()
    assert secret.startswith("whsec_")
    endpoint = Endpoint.objects.get(provider=provider)
    assert endpoint.url == "http://127.0.0.1:8001/hooks/wso"
    assert signing_secrets(endpoint) == [secret]
    assert "二度と表示されません" in err and secret not in err


def test_changing_the_url_prints_no_secret_and_keeps_it(provider):
    endpoint, secret = register_endpoint(provider, "http://127.0.0.1:8001/a")
    out, err = run("ｗ００９９", "--url", "http://127.0.0.1:8002/b")
    assert out == ""
    assert "http://127.0.0.1:8002/b に変更しました" in err
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:8002/b"
    assert signing_secrets(endpoint) == [secret]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/", "通知先URLは https:// で始まるURLにしてください。"),
        ("https://10.0.0.1/", "公開されていないアドレス \\(10.0.0.1\\)"),
        ("https://[::1]/", "公開されていないアドレス \\(::1\\)"),
    ],
)
def test_production_refuses_a_url_that_is_not_public(provider, settings, url, message):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match=message):
        run("W0099", "--url", url)
    assert not Endpoint.objects.exists()


def test_rotating_prints_a_new_secret_and_when_the_old_one_stops(provider, settings):
    settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS = 7200
    endpoint, old = register_endpoint(provider, "http://127.0.0.1:8001/a")
    out, err = run("W0099", "--rotate")
    assert out.count("\n") == 1
    new = out.strip()
    assert new.startswith("whsec_") and new != old
    assert signing_secrets(endpoint) == [new, old]
    ends = timezone.localtime(EndpointSecret.objects.get(secret=old).expires_at)
    assert f"{ends:%Y-%m-%d %H:%M}" in err
    assert new not in err and old not in err


def test_rotating_needs_an_endpoint(provider):
    with pytest.raises(CommandError, match="W0099 の通知先URLは登録されていません"):
        run("W0099", "--rotate")


def test_url_and_rotate_are_not_given_together(provider):
    with pytest.raises(CommandError):
        run("W0099", "--url", "http://127.0.0.1/", "--rotate")


def test_without_an_option_it_shows_the_url_and_dates_never_a_secret(provider):
    _, old = register_endpoint(provider, "http://127.0.0.1:8001/a")
    out, _ = run("W0099", "--rotate")
    new = out.strip()
    out, err = run("W0099")
    assert "通知先URL\thttp://127.0.0.1:8001/a" in out
    rows = [line.split("\t") for line in out.splitlines()[3:]]
    assert [row[1] for row in rows] == ["署名に使用", "署名に使用"]
    assert rows[1][3] != "-" and rows[0][3] == "-"  # the old one expires, the new one not
    for secret in (old, new):
        assert secret not in out + err
        assert secret[6:14] not in out + err  # not even its first characters


def test_without_an_endpoint_it_says_so(provider):
    out, _ = run("W0099")
    assert "W0099 の通知先URLは登録されていません。" in out


def test_an_unknown_provider_is_refused():
    with pytest.raises(
        CommandError, match="事業者コード「Z9999」のサービス提供者は登録されていません"
    ):
        run("Z9999", "--url", "http://127.0.0.1/")
    assert not Endpoint.objects.exists()
