"""Personas of the console: W0099's user Carol, and Dave of another provider, whose data Carol
must never see or change."""

import pytest

from console.services import create_provider_user
from tests.factories import make_provider

PASSWORD = "console-pass-2026"


def make_provider_user(provider, email):
    provider_user = create_provider_user(provider, email)
    provider_user.user.set_password(PASSWORD)
    provider_user.user.save()
    return provider_user


@pytest.fixture
def w0099(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


@pytest.fixture
def other_provider(db):
    return make_provider(code="W0100", name="他社")


@pytest.fixture
def carol(w0099):
    return make_provider_user(w0099, "carol@w0099.example.jp")


@pytest.fixture
def dave(other_provider):
    return make_provider_user(other_provider, "dave@w0100.example.jp")


@pytest.fixture
def carol_client(client, carol):
    client.force_login(carol.user, backend="console.backends.ProviderUserBackend")
    return client


@pytest.fixture
def receiver():
    from tests.providers.receiver import start_receiver

    receiver = start_receiver()
    yield receiver
    receiver.close()
