"""The worker's delivery loop as a process: killed mid-delivery, the event is sent again."""

import signal
import threading
import time

import pytest
from django.db import connection
from standardwebhooks.webhooks import Webhook

from notification.models import Application
from notification.work import apply_now
from providers.models import WebhookEvent
from providers.webhooks import register_endpoint
from tests.factories import make_application, make_line, make_provider
from tests.processes import start_worker, wait_for

from .receiver import Answer, start_receiver

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: several processes at once"
    ),
]
State = WebhookEvent.State


def test_a_worker_killed_mid_delivery_leaves_the_event_to_be_sent_again(receiver):
    provider = make_provider()
    _, secret = register_endpoint(provider, receiver.url)
    line = make_line()
    application = make_application(line, [provider], direction="notify", wants_mail=False)
    apply_now(application.pk, by="operator")
    hold = threading.Event()
    receiver.answer(Answer(200, wait_for=hold), Answer(200))
    lease = {"WSO_WEBHOOK_LEASE_SECONDS": "2", "WSO_WEBHOOK_TIMEOUT": "1"}

    worker = start_worker("--poll", "0.2", **lease)
    try:
        assert receiver.arrived.wait(30), "the worker sent the event"
        worker.send_signal(signal.SIGKILL)  # no chance to record anything
        worker.wait(10)
    finally:
        hold.set()
    event = WebhookEvent.objects.get()
    assert (event.state, event.attempts, event.deliveries.count()) == (State.PENDING, 1, 0)

    time.sleep(2.2)  # the dead worker's lease runs out
    again = start_worker("--once", **lease)
    _, log = again.communicate(timeout=60)
    assert again.returncode == 0, log
    event.refresh_from_db()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event.webhook_id
    assert Webhook(secret).verify(second.body, second.headers)["data"]["customer_id"] == (
        line.customer_id
    )
    assert (event.state, event.attempts, event.deliveries.count()) == (State.DELIVERED, 2, 1)


def test_a_dead_endpoint_does_not_hold_up_the_work(receiver):
    provider = make_provider()
    register_endpoint(provider, receiver.url)
    hold = threading.Event()
    receiver.answer(Answer(200, wait_for=hold))
    enable = make_application(make_line(), [provider], direction="notify", wants_mail=False)
    apply_now(enable.pk, by="operator")
    # Due only once the delivery already hangs.
    due = make_application(
        make_line(), [make_provider()], direction="notify", wants_mail=False, due_in=3
    )

    worker = start_worker("--poll", "0.2", WSO_WEBHOOK_TIMEOUT="30")
    try:
        assert receiver.arrived.wait(30)
        # The delivery hangs; the 工事 goes on beside it.
        wait_for(lambda: Application.objects.get(pk=due.pk).state == "completed", timeout=20)
    finally:
        hold.set()
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)


def test_a_slow_provider_holds_up_no_other_provider_in_the_same_worker():
    slow, fast = start_receiver(), start_receiver()
    worker = start_worker("--poll", "0.2", WSO_WEBHOOK_TIMEOUT="5")
    try:
        slow.answer(Answer(200, delay=10))  # past the timeout: the attempt takes all 5 s
        enable(make_line(), provider_at(slow.url))
        assert slow.arrived.wait(30), "the worker is sending the slow provider's event"
        fast_provider = provider_at(fast.url)
        enable(make_line(), fast_provider)
        created = time.monotonic()
        assert fast.arrived.wait(10)
        assert time.monotonic() - created < 2, "the other provider waited for the slow one"
        assert slow.received and len(slow.received) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
        slow.close()
        fast.close()
    event = WebhookEvent.objects.get(provider=fast_provider)
    assert (event.state, event.attempts) == (State.DELIVERED, 1)


def provider_at(url):
    provider = make_provider()
    register_endpoint(provider, url)
    return provider


def enable(line, provider):
    application = make_application(line, [provider], direction="notify", wants_mail=False)
    apply_now(application.pk, by="operator")
