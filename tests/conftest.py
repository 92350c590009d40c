import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from .factories import make_agreement, make_line

ALICE_KEY = "ABCD2345"


@pytest.fixture(autouse=True)
def default_language():
    """The language middleware leaves the last request's language active in the thread: a
    test after an English page would otherwise see English outside a request."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def alice(db):
    """A subscriber with an active line."""
    return make_line(access_key=ALICE_KEY)


@pytest.fixture
def bob(db):
    """Another subscriber: Alice must never see Bob's data."""
    return make_line(access_key="BOBK9876")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice.user)
    return client


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser(
        username="operator", password="operator-pass-2026", email="ops@example.jp"
    )


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def agreement(db):
    return make_agreement()
