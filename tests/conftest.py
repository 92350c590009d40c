import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from .factories import make_agreement, make_key, make_line, make_provider, set_notify

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


# The look-up tests' provider, its key (the plain bearer value) and a line that tells it its
# お客様ID (tests/providers/test_lookup_api.py, tests/ops/test_metrics.py).
@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


@pytest.fixture
def key(provider):
    return make_key(provider)[1]


@pytest.fixture
def line(provider):
    line = make_line(ipv6_prefix="2001:db8:8000:100::/56")
    set_notify(line, provider)
    return line
