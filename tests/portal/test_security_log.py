"""Security events, one key=value line each with the request's id, never a secret."""

import logging

import pytest
from django.urls import reverse

from notification.models import Application
from tests.conftest import ALICE_KEY
from tests.factories import make_application, make_provider, set_notify
from tests.notification.flow_helpers import start_stop, step_url, submit, walk_to_confirm


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="wso_portal.security")

    def lines():
        return [r for r in caplog.records if r.name == "wso_portal.security"]

    return lines


def test_every_response_names_its_request_and_the_log_lines_carry_it(alice_client, events):
    response = alice_client.post(reverse("portal:logout"))
    [record] = events()
    assert len(response["X-Request-ID"]) == 16
    assert record.request_id == response["X-Request-ID"]


def test_logout_is_logged(alice_client, alice, events):
    alice_client.post(reverse("portal:logout"))
    assert [r.getMessage() for r in events()] == [f"event=logout line={alice.flets_number}"]


def test_a_submitted_application_is_logged(alice_client, alice, agreement, events):
    provider = make_provider()
    set_notify(alice, provider)
    flow_id = start_stop(alice_client, provider)
    walk_to_confirm(alice_client, flow_id, agreement)
    submit(alice_client, flow_id)
    application = Application.objects.get()
    assert [r.getMessage() for r in events()] == [
        f"event=application_submitted line={alice.flets_number} "
        f"receipt_number={application.receipt_number} direction=stop providers=1"
    ]


def test_a_refused_flow_step_is_logged(alice_client, alice, events):
    url = step_url("confirm", "no-such-flow")
    response = alice_client.get(url)
    assert response.status_code >= 400
    assert [r.getMessage() for r in events()] == [
        f"event=flow_step_refused line={alice.flets_number} path={url} "
        f"status={response.status_code}"
    ]


def test_another_lines_receipt_is_a_404_and_logged(alice_client, alice, bob, events):
    bobs = make_application(bob, [make_provider()])
    response = alice_client.get(reverse("notification:receipt", args=[bobs.receipt_number]))
    assert response.status_code == 404
    assert [r.getMessage() for r in events()] == [
        f"event=receipt_not_found line={alice.flets_number} receipt_number={bobs.receipt_number}"
    ]


def test_no_access_key_is_ever_in_the_log(client, alice, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(
        reverse("portal:login"), {"flets_number": alice.flets_number, "access_key": ALICE_KEY}
    )
    client.post(reverse("portal:logout"))
    assert all(ALICE_KEY not in r.getMessage() for r in caplog.records)
