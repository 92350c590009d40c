"""【変更】 submits once: double click, reload, back + 【変更】, second tab: one application."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from agreements.models import Acceptance
from notification import flow as flows
from notification.models import Application, ApplicationEvent, ApplicationItem, Direction
from notification.services import Applicant, ChoiceChanged, submit_application
from notification.views import MSG_ALREADY_SUBMITTED
from tests.factories import make_agreement, make_line, make_provider, set_notify

from .flow_helpers import start_stop, step_url, submit, walk_to_confirm

APPLICANT = Applicant(
    name="西日本　太郎", phone="06-1234-5678", email="", wants_completion_mail=False
)


@pytest.fixture
def ready(alice_client, alice, agreement):
    """Alice on the confirm screen of flow A for two providers."""
    providers = [make_provider(), make_provider()]
    for provider in providers:
        set_notify(alice, provider)
    flow_id = start_stop(alice_client, *providers)
    walk_to_confirm(alice_client, flow_id, agreement)
    return flow_id


def receipt_url(application):
    return reverse("notification:receipt", kwargs={"receipt_number": application.receipt_number})


def assert_one_application():
    application = Application.objects.get()
    assert ApplicationItem.objects.filter(application=application).count() == 2
    assert ApplicationEvent.objects.filter(application=application).count() == 1
    assert Acceptance.objects.count() == 1
    return application


@pytest.mark.django_db
def test_a_double_click_makes_one_application(alice_client, ready):
    first = submit(alice_client, ready)
    second = submit(alice_client, ready)
    application = assert_one_application()
    assert first["Location"] == second["Location"] == receipt_url(application)
    page = alice_client.get(second["Location"]).content.decode()
    assert MSG_ALREADY_SUBMITTED in page


@pytest.mark.django_db
def test_a_reload_of_the_confirm_screen_lands_on_the_receipt(alice_client, ready):
    submit(alice_client, ready)
    application = assert_one_application()
    response = alice_client.get(step_url("confirm", ready))
    assert response["Location"] == receipt_url(application)


@pytest.mark.django_db
def test_back_then_henkou_again_lands_on_the_first_receipt(alice_client, ready):
    submit(alice_client, ready)
    application = assert_one_application()
    # The browser's back button shows the cached applicant and confirm screens again.
    for step in ("applicant", "consent"):
        assert alice_client.get(step_url(step, ready))["Location"] == receipt_url(application)
    again = alice_client.post(step_url("applicant", ready), {"name": "別人"})
    assert again["Location"] == receipt_url(application)
    assert submit(alice_client, ready)["Location"] == receipt_url(application)
    assert_one_application()


@pytest.mark.django_db
def test_two_tabs_of_one_flow_make_one_application(alice_client, ready):
    tab1 = alice_client.get(step_url("confirm", ready))
    tab2 = alice_client.get(step_url("confirm", ready))
    assert tab1.status_code == tab2.status_code == 200
    r1 = submit(alice_client, ready)
    r2 = submit(alice_client, ready)
    application = assert_one_application()
    assert r1["Location"] == r2["Location"] == receipt_url(application)


@pytest.mark.django_db
def test_a_submission_whose_session_missed_the_first_finds_it_by_token(alice, alice_client, ready):
    # Two tabs posting at the same moment both load the session before either saves it.
    stale = dict(alice_client.session[flows.SESSION_KEY])
    r1 = submit(alice_client, ready)
    session = alice_client.session
    session[flows.SESSION_KEY] = stale
    session.pop(flows.DONE_KEY)
    session.save()
    r2 = submit(alice_client, ready)
    application = assert_one_application()
    assert r1["Location"] == r2["Location"] == receipt_url(application)


@pytest.mark.django_db
def test_the_service_returns_the_existing_application_for_a_known_token(alice, agreement):
    provider = make_provider()
    set_notify(alice, provider)
    token = uuid.uuid4()
    kwargs = dict(
        line=alice,
        direction=Direction.STOP,
        provider_ids=[provider.pk],
        applicant=APPLICANT,
        agreement_version=agreement,
        agreed_at="2026-11-26T02:00:00+00:00",
        token=token,
    )
    first = submit_application(**kwargs)
    assert submit_application(**kwargs) == first
    assert Application.objects.count() == 1
    with pytest.raises(ChoiceChanged):
        submit_application(**{**kwargs, "token": uuid.uuid4()})
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_a_receipt_number_collision_is_retried(alice, agreement, monkeypatch):
    from notification import services

    provider, other = make_provider(), make_provider()
    set_notify(alice, provider)
    set_notify(alice, other)
    numbers = iter(["20261126-000001", "20261126-000001", "20261126-000002"])
    monkeypatch.setattr(services, "new_receipt_number", lambda now: next(numbers))
    base = dict(
        line=alice,
        direction=Direction.STOP,
        applicant=APPLICANT,
        agreement_version=agreement,
        agreed_at="2026-11-26T02:00:00+00:00",
    )
    a = submit_application(**base, provider_ids=[provider.pk], token=uuid.uuid4())
    b = submit_application(**base, provider_ids=[other.pk], token=uuid.uuid4())
    assert (a.receipt_number, b.receipt_number) == ("20261126-000001", "20261126-000002")
    assert Application.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_submitting_the_same_confirm_make_one_application():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real concurrent transactions")
    agreement = make_agreement()
    line = make_line()
    providers = [make_provider(), make_provider()]
    for provider in providers:
        set_notify(line, provider)
    client = Client()
    client.force_login(line.user)
    flow_id = start_stop(client, *providers)
    walk_to_confirm(client, flow_id, agreement)
    cookie = client.cookies

    barrier = threading.Barrier(4)
    results: list = []

    def post():
        try:
            tab = Client()
            tab.cookies = cookie  # the same browser session: two tabs, or a double click
            barrier.wait()
            results.append(tab.post(step_url("confirm", flow_id)))
        except Exception as exc:  # pragma: no cover - reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    application = Application.objects.get()
    assert len(results) == 4
    assert all(getattr(r, "status_code", None) == 302 for r in results), results
    assert {r["Location"] for r in results} == {receipt_url(application)}
    assert ApplicationItem.objects.filter(application=application).count() == 2
    assert Acceptance.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_flows_racing_for_the_same_provider_make_one_application():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real concurrent transactions")
    agreement = make_agreement()
    line = make_line()
    provider = make_provider()
    set_notify(line, provider)
    tokens = [uuid.uuid4() for _ in range(4)]
    barrier = threading.Barrier(len(tokens))
    outcomes: list = []

    def run(token):
        try:
            barrier.wait()
            submit_application(
                line=line,
                direction=Direction.STOP,
                provider_ids=[provider.pk],
                applicant=APPLICANT,
                agreement_version=agreement,
                agreed_at="2026-11-26T02:00:00+00:00",
                token=token,
            )
            outcomes.append("ok")
        except ChoiceChanged:
            outcomes.append("refused")
        except Exception as exc:  # pragma: no cover - reported below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes, key=str) == ["ok", "refused", "refused", "refused"], outcomes
    assert Application.objects.count() == 1
    assert ApplicationItem.objects.filter(is_open=True).count() == 1
