"""`manage.py provider_key create|list|revoke`: what
scripts and cron see on stdout, and what they never see."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from providers.models import ProviderKey, hash_key
from providers.services import authenticate, revoke_key

from ..factories import make_key, make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


def run(*args) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


# --- provider_key create --------------------------------------------------------------------


def test_create_prints_a_working_key_alone_on_stdout(provider):
    out, err = run("provider_key", "create", "W0099")
    assert out.endswith("\n") and out.count("\n") == 1
    plain = out.strip()
    key = authenticate(plain)
    assert key is not None and key.provider == provider
    assert key.hashed_key == hash_key(plain)
    assert key.display_prefix in err
    assert "二度と表示されません" in err
    assert plain not in err


def test_create_finds_the_provider_however_its_code_is_typed(provider):
    out, _ = run("provider_key", "create", " ｗ００９９ ")
    assert authenticate(out.strip()).provider == provider


def test_create_refuses_an_unknown_provider():
    with pytest.raises(
        CommandError, match="事業者コード「Z9999」のサービス提供者は登録されていません"
    ):
        run("provider_key", "create", "Z9999")
    assert not ProviderKey.objects.exists()


def test_create_refuses_a_third_live_key(provider):
    make_key(provider)
    make_key(provider)
    with pytest.raises(CommandError, match="有効なAPIキーが既に2つあります"):
        run("provider_key", "create", "W0099")
    assert ProviderKey.objects.count() == 2


def test_create_warns_when_the_provider_is_inactive():
    make_provider(code="C0301", active=False)
    out, err = run("provider_key", "create", "C0301")
    assert out.strip().startswith("wso_")
    assert "無効" in err


# --- provider_key list ----------------------------------------------------------------------


def test_list_shows_each_key_of_the_provider_and_never_a_secret(provider):
    live, live_plain = make_key(provider)
    old, old_plain = make_key(provider)
    revoke_key(old)
    other, other_plain = make_key(make_provider())

    out, _ = run("provider_key", "list", "W0099")
    header, *rows = out.splitlines()
    assert header.split("\t")[:3] == ["ID", "キー (先頭)", "状態"]
    by_prefix = {row.split("\t")[1]: row.split("\t") for row in rows}
    assert set(by_prefix) == {live.display_prefix, old.display_prefix}
    assert by_prefix[live.display_prefix][2] == "有効"
    assert by_prefix[live.display_prefix][5] == "-"
    assert by_prefix[old.display_prefix][2] == "失効"
    assert by_prefix[old.display_prefix][5] != "-"
    for secret in [live_plain, old_plain, other_plain, live.hashed_key, old.hashed_key]:
        assert secret not in out
    assert other.display_prefix not in out


def test_list_of_a_provider_without_keys_is_only_the_header(provider):
    out, _ = run("provider_key", "list", "w0099")
    assert out.splitlines() == [out.splitlines()[0]]
    assert out.startswith("ID\t")


# --- provider_key revoke --------------------------------------------------------------------


def test_revoke_by_display_prefix(provider):
    key, plain = make_key(provider)
    _, kept = make_key(provider)
    out, _ = run("provider_key", "revoke", "W0099", key.display_prefix)
    assert "失効させました" in out
    assert authenticate(plain) is None
    assert authenticate(kept) is not None


def test_revoke_by_id_and_again(provider):
    key, plain = make_key(provider)
    run("provider_key", "revoke", "W0099", str(key.pk))
    assert authenticate(plain) is None
    out, _ = run("provider_key", "revoke", "W0099", str(key.pk))
    assert "既に失効しています" in out


def test_revoke_refuses_an_unknown_key_or_another_providers(provider):
    _, own_plain = make_key(provider)
    others, others_plain = make_key(make_provider())
    for identifier in ["wso_NotAKey0", "999999", str(others.pk), others.display_prefix]:
        with pytest.raises(CommandError, match="APIキーはありません"):
            run("provider_key", "revoke", "W0099", identifier)
    assert authenticate(own_plain) is not None
    assert authenticate(others_plain) is not None


def test_revoke_refuses_an_ambiguous_prefix(provider):
    first, first_plain = make_key(provider)
    second, second_plain = make_key(provider)
    # 48 bits of display prefix rarely collide; make them collide to see the refusal.
    ProviderKey.objects.filter(pk=second.pk).update(display_prefix=first.display_prefix)
    with pytest.raises(CommandError, match="複数あります"):
        run("provider_key", "revoke", "W0099", first.display_prefix)
    assert authenticate(first_plain) is not None
    assert authenticate(second_plain) is not None


def test_revoke_refuses_an_unknown_provider(provider):
    key, plain = make_key(provider)
    with pytest.raises(CommandError, match="登録されていません"):
        run("provider_key", "revoke", "Z9999", key.display_prefix)
    assert authenticate(plain) is not None


def test_an_unknown_action_is_refused(provider):
    with pytest.raises(CommandError):
        run("provider_key", "rotate", "W0099")
