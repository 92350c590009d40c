"""schemathesis, as a provider's client would be: generated requests, valid and invalid, against
the API through its own OpenAPI document. No server error, and every response as documented."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.factories import make_key, make_line, make_provider, set_notify

EXAMPLES = 150


@pytest.fixture
def bearer(db, settings):
    settings.WSO_API_RATE_LIMIT = 1_000_000
    cache.clear()
    provider = make_provider(code="W0099")
    line = make_line(ipv6_prefix="2001:db8:8000:100::/56")
    set_notify(line, provider)
    return {"Authorization": f"Bearer {make_key(provider)[1]}"}


@pytest.fixture
def lookups(db):
    # As Django's test client does: the WSGI app must not close the test's connection (and with
    # it the transaction each test runs in) at the start and end of every request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        yield schema["/api/v1/lookups"]["POST"]
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_response_is_as_documented(lookups, bearer, mode):
    seen = set()

    @given(case=lookups.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def call(case):
        response = case.call_and_validate(headers=bearer)
        seen.add(response.status_code)

    call()
    # Valid requests are answered. The invalid ones (a mangled body, or a mangled Authorization
    # header, which is a 401) are refused with a documented problem.
    if mode is GenerationMode.POSITIVE:
        assert seen == {200}
    else:
        assert 400 in seen and seen <= {200, 400, 401}, seen
