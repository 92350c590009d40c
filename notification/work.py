"""The 工事: applying applications, then the 工事完了通知メール.

Lifecycle: 受付 → 工事中 → 完了, or 失敗 (with a reason) / 取消 (by an operator while still open,
or by the subscriber while still 受付).
Every step locks the application's row before changing it. Workers claim rows with
SELECT … FOR UPDATE SKIP LOCKED, so any number of them can run side by side without waiting
for each other; operators' actions lock with a plain FOR UPDATE and then see whatever the
worker left. On SQLite the lock clauses are ignored, which is correct for one worker.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ops import metrics

from .mail import send_completion_mail
from .models import Application, ApplicationEvent, Direction, NotificationSetting
from .signals import settings_switched

logger = logging.getLogger("notification.worker")

SET_VIA = "申込受付ページ"
INTERRUPTED_MAIL = (
    "送信中に処理が中断されたため、送信できたか不明です。二重送信を避けるため自動では再送しません。"
    "お客様に届いていないことを確認してから「メール再送」を実行してください。"
)
State = Application.State
MailState = Application.MailState


class WorkError(Exception):
    """Why an application cannot be applied; the message becomes its 失敗理由."""


class NotOpen(Exception):
    """The application is past what the action allows: already 完了, 失敗 or 取消 (and, for the
    subscriber's 取消, already 工事中)."""

    def __init__(self, application: Application):
        self.application = application
        super().__init__(
            f"受付番号 {application.receipt_number} は既に{application.get_state_display()}です。"
        )


class MailNotRetryable(Exception):
    """Only a mail in 送信失敗 can be sent again; one already sent never is."""

    def __init__(self, application: Application):
        self.application = application
        super().__init__(
            f"受付番号 {application.receipt_number} の完了通知メールは"
            f"{application.get_mail_state_display()}のため再送できません。"
        )


# 工事 ------------------------------------------------------------------------------------------


def apply_next_due(*, now: datetime | None = None) -> Application | None:
    """Claim one due application nobody else holds and apply it, all in one transaction.

    Returns the application handled (完了 or 失敗), or None when nothing is due.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(skip_locked=True)
            .filter(state__in=Application.OPEN_STATES, due_at__lte=now)
            .order_by("due_at", "id")
            .first()
        )
        if application is None:
            return None
        _apply_locked(application, now=now)
    _log_outcome(application)
    return application


def apply_now(application_id: int, *, by: str, now: datetime | None = None) -> Application:
    """今すぐ工事 for operators: the same work as the worker's, without waiting for due_at.

    Raises NotOpen when the application was applied, failed or cancelled meanwhile.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if not application.is_open:
            raise NotOpen(application)
        _apply_locked(application, now=now, note=f"運用者 {by} が今すぐ工事を実行")
    _log_outcome(application)
    return application


def _apply_locked(application: Application, *, now: datetime, note: str = "") -> None:
    """Apply an application whose row lock the caller holds, inside the caller's transaction."""
    if application.state == State.RECEIVED:
        application.state = State.IN_PROGRESS
        application.started_at = now
        application.save(update_fields=["state", "started_at"])
        ApplicationEvent.objects.create(
            application=application, state=State.IN_PROGRESS, at=now, note=note
        )
    try:
        # A savepoint: whatever goes wrong, no setting is left half switched.
        with transaction.atomic():
            _switch_settings(application, now=now)
            settings_switched.send(sender=Application, application=application, now=now)
    except WorkError as exc:
        _close(application, State.FAILED, now=now, note=str(exc))
    except Exception as exc:
        logger.exception("受付番号 %s: 工事中にエラー", application.receipt_number)
        _close(
            application, State.FAILED, now=now, note=f"システムエラー: {type(exc).__name__}: {exc}"
        )
    else:
        _close(application, State.COMPLETED, now=now)


def _switch_settings(application: Application, *, now: datetime) -> None:
    items = list(application.items.select_related("provider", "line"))
    notify = application.direction == Direction.NOTIFY
    if not items:
        raise WorkError("申込明細がありません。")
    # Switching off is always honoured; switching on needs a line and providers still in service.
    if notify:
        line = items[0].line
        if line.status != line.Status.ACTIVE:
            raise WorkError(f"回線が{line.get_status_display()}のため通知設定できません。")
        inactive = [item.provider.code for item in items if not item.provider.active]
        if inactive:
            raise WorkError(f"サービス提供者 {', '.join(inactive)} は現在受付を停止しています。")
    for item in items:
        NotificationSetting.objects.update_or_create(
            line_id=application.line_id,
            provider_id=item.provider_id,
            defaults={
                "notify": notify,
                "set_at": now,
                "set_via": SET_VIA,
                "application": application,
            },
        )


def _close(application: Application, state: str, *, now: datetime, note: str = "") -> None:
    """Move an open application to 完了 / 失敗 / 取消 and free its providers."""
    application.state = state
    fields = ["state"]
    if state == State.COMPLETED:
        application.completed_at = now
        fields.append("completed_at")
        if application.mail_state == MailState.PENDING:
            application.mail_next_attempt_at = now
            fields.append("mail_next_attempt_at")
    else:
        if state == State.FAILED:
            application.failed_at = now
            application.failure_reason = note
            fields += ["failed_at", "failure_reason"]
        else:
            application.cancelled_at = now
            fields.append("cancelled_at")
        # The mail reports a completion: none to report. wants_completion_mail keeps the wish.
        if application.mail_state == MailState.PENDING:
            application.mail_state = MailState.NOT_REQUESTED
            application.mail_next_attempt_at = None
            fields += ["mail_state", "mail_next_attempt_at"]
    application.save(update_fields=fields)
    application.items.update(is_open=False)
    ApplicationEvent.objects.create(application=application, state=state, at=now, note=note)


def cancel_application(application_id: int, *, by: str, now: datetime | None = None) -> Application:
    """取消 for operators, only while the application is still open (not applied).

    The row lock settles a race with the worker: if the worker holds the row, this waits and
    then sees 完了 (raising NotOpen); if this holds it first, the worker skips it and later finds
    it 取消.
    """
    return _cancel(
        Application.objects.filter(pk=application_id),
        allowed=Application.OPEN_STATES,
        note=f"運用者 {by} が取消",
        by=by,
        now=now,
    )


SUBSCRIBER_CANCELLABLE = (State.RECEIVED,)
SUBSCRIBER_CANCEL_NOTE = "お客様が取消"


def cancellable_by_subscriber(application: Application) -> bool:
    """申込取消 is offered to the subscriber only while the 工事 has not started (受付)."""
    return application.state in SUBSCRIBER_CANCELLABLE


def cancel_by_subscriber(line, receipt_number: str, *, now: datetime | None = None) -> Application:
    """申込取消 by the subscriber: one of the line's applications, only while still 受付.

    The same row lock as the operators' 取消 settles the race with the worker: exactly one of
    the two wins. Raises NotOpen when the 工事 has started (or ended) first, and
    Application.DoesNotExist when the line has no such application.
    """
    return _cancel(
        line.applications.filter(receipt_number=receipt_number),
        allowed=SUBSCRIBER_CANCELLABLE,
        note=SUBSCRIBER_CANCEL_NOTE,
        by="お客様",
        now=now,
    )


def _cancel(applications, *, allowed, note: str, by: str, now: datetime | None) -> Application:
    """Lock the one application of `applications`, and close it as 取消 if its state is allowed.

    No setting is switched, so no settings_switched is sent and no provider event is written;
    _close clears a pending completion mail and frees the providers at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = applications.select_for_update().get()
        if application.state not in allowed:
            raise NotOpen(application)
        _close(application, State.CANCELLED, now=now, note=note)
    logger.info("受付番号 %s: 取消 (%s)", application.receipt_number, by)
    return application


def _log_outcome(application: Application) -> None:
    metrics.APPLICATIONS.labels(application.state).inc()
    if application.state == State.COMPLETED:
        logger.info(
            "受付番号 %s: 完了 (%s, %d件)",
            application.receipt_number,
            application.get_direction_display(),
            application.items.count(),
        )
    else:
        logger.warning(
            "受付番号 %s: 失敗 (%s)", application.receipt_number, application.failure_reason
        )


# 工事完了通知メール ---------------------------------------------------------------------------
#
# The mail is sent at most once. An attempt is first reserved and committed (mail_attempts + 1,
# mail_next_attempt_at cleared = "in flight"), then the mail is sent while the row is locked and
# the outcome is committed with it. If the process dies after the SMTP server accepted the mail
# but before that commit, nobody can tell whether it went out: retrying could send it twice,
# which the spec forbids, so such an attempt ends in 送信失敗 with an explanation, and an
# operator decides whether to use メール再送. A crash there is rare; a duplicate would be visible
# to the subscriber.


def send_next_mail(*, now: datetime | None = None) -> Application | None:
    """Claim one completed application whose mail is due and send it. None when nothing is due."""
    now = now or timezone.now()
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(skip_locked=True)
            .filter(state=State.COMPLETED, mail_state=MailState.PENDING)
            .filter(
                Q(mail_next_attempt_at__lte=now)
                | Q(mail_next_attempt_at__isnull=True, mail_attempts=0)
            )
            .order_by("mail_next_attempt_at", "id")
            .first()
        )
        if application is None:
            return None
        application.mail_attempts += 1
        application.mail_next_attempt_at = None
        application.save(update_fields=["mail_attempts", "mail_next_attempt_at"])
    attempt = application.mail_attempts

    with transaction.atomic():
        application = (
            Application.objects.select_for_update().select_related("line").get(pk=application.pk)
        )
        if not _in_flight(application, attempt):
            # give_up_interrupted_mails took it between the two transactions: leave it.
            return application
        try:
            send_completion_mail(application)
        except Exception as exc:
            _record_mail_failure(application, f"{type(exc).__name__}: {exc}", now=now)
        else:
            application.mail_state = MailState.SENT
            application.mail_sent_at = timezone.now()
            application.mail_last_error = ""
            metrics.MAILS.labels("sent").inc()
            logger.info("受付番号 %s: 工事完了通知メールを送信", application.receipt_number)
        application.save(
            update_fields=["mail_state", "mail_sent_at", "mail_last_error", "mail_next_attempt_at"]
        )
    return application


def _in_flight(application: Application, attempt: int) -> bool:
    return (
        application.mail_state == MailState.PENDING
        and application.mail_next_attempt_at is None
        and application.mail_attempts == attempt
    )


def _record_mail_failure(application: Application, error: str, *, now: datetime) -> None:
    metrics.MAILS.labels("failed").inc()
    application.mail_last_error = error
    attempts = application.mail_attempts
    if attempts >= settings.WSO_MAIL_MAX_ATTEMPTS:
        application.mail_state = MailState.FAILED
        application.mail_next_attempt_at = None
        logger.error(
            "受付番号 %s: 工事完了通知メール送信失敗、%d回で打ち切り (%s)",
            application.receipt_number,
            attempts,
            error,
        )
    else:
        delay = settings.WSO_MAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        application.mail_next_attempt_at = now + timedelta(seconds=delay)
        logger.warning(
            "受付番号 %s: 工事完了通知メール送信失敗 (%d回目、%d秒後に再送) (%s)",
            application.receipt_number,
            attempts,
            delay,
            error,
        )


def give_up_interrupted_mails() -> int:
    """送信失敗 for attempts a dead worker left in flight (a locked row is still being sent)."""
    with transaction.atomic():
        interrupted = list(
            Application.objects.select_for_update(skip_locked=True).filter(
                state=State.COMPLETED,
                mail_state=MailState.PENDING,
                mail_next_attempt_at__isnull=True,
                mail_attempts__gt=0,
            )
        )
        for application in interrupted:
            application.mail_state = MailState.FAILED
            application.mail_last_error = INTERRUPTED_MAIL
            application.save(update_fields=["mail_state", "mail_last_error"])
            logger.error(
                "受付番号 %s: 工事完了通知メールの送信結果不明", application.receipt_number
            )
    return len(interrupted)


def retry_mail(application_id: int, *, by: str, now: datetime | None = None) -> Application:
    """メール再送 for operators: a mail in 送信失敗 goes back to 送信待ち, attempts reset."""
    now = now or timezone.now()
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.state != State.COMPLETED or application.mail_state != MailState.FAILED:
            raise MailNotRetryable(application)
        application.mail_state = MailState.PENDING
        application.mail_attempts = 0
        application.mail_next_attempt_at = now
        application.save(update_fields=["mail_state", "mail_attempts", "mail_next_attempt_at"])
    logger.info("受付番号 %s: 工事完了通知メール再送を受付 (%s)", application.receipt_number, by)
    return application


# One round of the worker ------------------------------------------------------------------------


@dataclass
class Round:
    handled: int = 0
    mails: int = 0


def run_due_work(
    *, should_stop: Callable[[], bool] = lambda: False, now: datetime | None = None
) -> Round:
    """Everything due now: interrupted mails, then applications, then mails. Stops between two
    applications (never inside one) as soon as should_stop() says so."""
    done = Round()
    give_up_interrupted_mails()
    while not should_stop() and apply_next_due(now=now) is not None:
        done.handled += 1
    while not should_stop() and send_next_mail(now=now) is not None:
        done.mails += 1
    return done
