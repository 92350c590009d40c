"""Workers side by side, operators racing them, and signals: real connections on PostgreSQL.

Each thread has its own database connection (Django's are per thread) and closes it at the end.
"""

import signal
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction

from notification.models import Application, ApplicationEvent, NotificationSetting
from notification.work import NotOpen, apply_next_due, apply_now, cancel_application, run_due_work
from tests.factories import make_application, make_line, make_provider
from tests.processes import Thread, start_worker, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks, SKIP LOCKED and several connections at once",
    ),
]

State = Application.State
BASE_DIR = Path(__file__).resolve().parents[2]


def assert_applied_once(application, providers):
    states = list(application.events.values_list("state", flat=True))
    assert states == [State.RECEIVED, State.IN_PROGRESS, State.COMPLETED]
    assert not application.items.filter(is_open=True).exists()
    settings = NotificationSetting.objects.filter(line=application.line, notify=True)
    assert sorted(settings.values_list("provider_id", flat=True)) == sorted(p.pk for p in providers)


def assert_untouched(application):
    assert application.state == State.RECEIVED
    assert list(application.events.values_list("state", flat=True)) == [State.RECEIVED]
    assert application.items.filter(is_open=False).count() == 0
    assert not NotificationSetting.objects.filter(line=application.line).exists()


def test_two_workers_racing_apply_each_application_once_and_mail_it_once():
    providers = [make_provider(), make_provider()]
    applications = [make_application(make_line(), providers) for _ in range(30)]
    barrier = threading.Barrier(2)
    workers = [Thread(run_due_work, start_together=barrier) for _ in range(2)]
    for worker in workers:
        worker.start()

    rounds = [worker.outcome() for worker in workers]

    assert [error for _, error in rounds] == [None, None]
    assert sum(r.handled for r, _ in rounds) == 30
    assert sum(r.mails for r, _ in rounds) == 30
    for application in applications:
        application.refresh_from_db()
        assert application.state == State.COMPLETED
        assert application.mail_state == Application.MailState.SENT
        assert application.mail_attempts == 1
        assert_applied_once(application, providers)
    assert ApplicationEvent.objects.filter(state=State.COMPLETED).count() == 30
    assert sorted(m.to[0] for m in mail.outbox) == ["taro@example.jp"] * 30


def test_a_worker_skips_an_application_another_worker_holds():
    provider = make_provider()
    held = make_application(make_line(), [provider], due_in=-20)
    free = make_application(make_line(), [provider], due_in=-10)

    with transaction.atomic():
        assert apply_next_due() == held  # this worker is inside held's transaction
        other = Thread(apply_next_due)
        other.start()
        result, error = other.outcome(timeout=5)
        assert error is None
        assert result == free, "the other worker took the next one without waiting"

    held.refresh_from_db()
    assert_applied_once(held, [provider])


def test_cancel_waits_for_the_worker_then_sees_it_applied():
    provider = make_provider()
    application = make_application(make_line(), [provider])

    with transaction.atomic():
        apply_next_due()  # the worker holds the row, not committed yet
        operator = Thread(lambda: cancel_application(application.pk, by="operator"))
        operator.start()
        time.sleep(0.3)
        assert operator.is_alive(), "cancel waits for the row lock"

    _, error = operator.outcome()
    assert isinstance(error, NotOpen)
    assert str(error) == f"受付番号 {application.receipt_number} は既に完了です。"
    application.refresh_from_db()
    assert application.state == State.COMPLETED
    assert_applied_once(application, [provider])


def test_a_worker_skips_what_an_operator_is_cancelling_and_then_sees_it_cancelled():
    provider = make_provider()
    application = make_application(make_line(), [provider])

    with transaction.atomic():
        cancel_application(application.pk, by="operator")  # holding the row, not committed
        worker = Thread(apply_next_due)
        worker.start()
        assert worker.outcome(timeout=5) == (None, None), "skipped, not waited for"
        apply_now_thread = Thread(lambda: apply_now(application.pk, by="operator2"))
        apply_now_thread.start()
        time.sleep(0.3)
        assert apply_now_thread.is_alive(), "apply now waits for the row lock"

    _, error = apply_now_thread.outcome()
    assert isinstance(error, NotOpen)
    application.refresh_from_db()
    assert application.state == State.CANCELLED
    states = list(application.events.values_list("state", flat=True))
    assert states == [State.RECEIVED, State.CANCELLED]
    assert not NotificationSetting.objects.exists()


def test_cancels_racing_a_worker_never_both_win():
    provider = make_provider()
    applications = [make_application(make_line(), [provider]) for _ in range(40)]
    barrier = threading.Barrier(2)

    def cancel_all():
        cancelled = 0
        for application in reversed(applications):
            try:
                cancel_application(application.pk, by="operator")
                cancelled += 1
            except NotOpen:
                pass
        return cancelled

    worker = Thread(run_due_work, start_together=barrier)
    operator = Thread(cancel_all, start_together=barrier)
    worker.start()
    operator.start()
    (done, worker_error), (cancelled, operator_error) = worker.outcome(), operator.outcome()

    assert (worker_error, operator_error) == (None, None)
    assert done.handled + cancelled == 40
    for application in applications:
        application.refresh_from_db()
        states = list(application.events.values_list("state", flat=True))
        if application.state == State.COMPLETED:
            assert states == [State.RECEIVED, State.IN_PROGRESS, State.COMPLETED]
        else:
            assert application.state == State.CANCELLED
            assert states == [State.RECEIVED, State.CANCELLED]
            assert not NotificationSetting.objects.filter(line=application.line).exists()
        assert not application.items.filter(is_open=True).exists()
    completed = Application.objects.filter(state=State.COMPLETED).count()
    assert NotificationSetting.objects.count() == completed == done.handled


def test_a_database_error_while_applying_fails_only_that_application():
    provider = make_provider()
    broken = make_application(make_line(), [provider], due_in=-20)
    fine = make_application(make_line(), [make_provider()], due_in=-10)
    with connection.cursor() as cursor:
        # The database itself refuses the write, like any unexpected error would.
        cursor.execute(
            "CREATE FUNCTION refuse_setting() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'setting refused'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_setting BEFORE INSERT ON notification_notificationsetting "
            f"FOR EACH ROW WHEN (NEW.provider_id = {provider.pk}) EXECUTE FUNCTION refuse_setting()"
        )
    try:
        done = run_due_work()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_setting ON notification_notificationsetting")
            cursor.execute("DROP FUNCTION refuse_setting()")

    assert done.handled == 2
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.state == State.FAILED
    assert broken.failure_reason.startswith("システムエラー: ")
    assert "setting refused" in broken.failure_reason
    assert not broken.items.filter(is_open=True).exists()
    assert fine.state == State.COMPLETED


# The command as a process -------------------------------------------------------------------


def test_sigterm_while_idle_exits_at_once_and_cleanly():
    worker = start_worker("--poll", "60")
    first_line = worker.stderr.readline()  # its handlers are installed before it says so
    assert "工事ワーカー開始" in first_line
    time.sleep(0.5)  # now asleep until the next poll

    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    _, log = worker.communicate(timeout=20)

    assert worker.returncode == 0, log
    assert time.monotonic() - started < 10, "the poll sleep is interrupted"
    assert "SIGTERM を受信: 処理中の申込を終えて停止します" in log
    assert log.rstrip().endswith("工事ワーカー停止")


def test_sigterm_while_applying_finishes_the_application_in_hand_and_leaves_the_rest():
    providers = [make_provider(), make_provider()]
    applications = [make_application(make_line(), providers) for _ in range(300)]
    worker = start_worker("--poll", "0.2")
    wait_for(lambda: Application.objects.filter(state=State.COMPLETED).exists())

    worker.send_signal(signal.SIGTERM)
    _, log = worker.communicate(timeout=30)

    assert worker.returncode == 0, log
    assert "SIGTERM を受信" in log
    logged = {
        line.split("受付番号 ")[1].split(":")[0] for line in log.splitlines() if ": 完了 (" in line
    }
    completed = set()
    for application in applications:
        application.refresh_from_db()
        if application.state == State.COMPLETED:
            assert_applied_once(application, providers)
            completed.add(application.receipt_number)
        else:
            assert_untouched(application)
    assert completed, "it was stopped while working"
    assert logged == completed, "each application handled is logged"
