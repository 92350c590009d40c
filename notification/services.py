"""回線情報通知: which providers a line may pick now, and submitting an application (申込)."""

import secrets
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import cached_property

from agreements.models import AgreementVersion
from agreements.services import record_acceptance
from wso_portal.caching import briefly
from wso_portal.statements import model_rows, one_of

from .models import (
    Application,
    ApplicationEvent,
    ApplicationItem,
    Direction,
    NotificationSetting,
    ServiceProvider,
)

RECEIPT_NUMBER_ATTEMPTS = 5


class ChoiceChanged(Exception):
    """The providers picked are no longer all in the line's choice (changed meanwhile)."""


def _open_work(line: str, provider: str) -> str:
    """SQL: whether the line has an open 工事 (application item) for the provider (工事中)."""
    return (
        f"EXISTS (SELECT 1 FROM {ApplicationItem._meta.db_table} i"
        f" WHERE i.line_id = {line} AND i.provider_id = {provider} AND i.is_open)"
    )


# Screen 2's rows: written as SQL, since the ORM took longer to build the query (a join, an
# EXISTS) than the database takes to answer it (profiled).
NOTIFYING_SETTINGS_SQL = f"""
    SELECT {{settings}}, {{providers}}, {_open_work("s.line_id", "s.provider_id")}
    FROM {NotificationSetting._meta.db_table} s
    JOIN {ServiceProvider._meta.db_table} p ON p.id = s.provider_id
    WHERE s.line_id = %s AND s.notify AND p.active
    ORDER BY p.code
"""


def notifying_settings(line) -> list[NotificationSetting]:
    """Screen 2: the line's 通知する settings of active providers, by provider code, each with
    its provider and `in_progress` (工事中)."""
    settings_rows = model_rows(NotificationSetting, "s", connection.alias)
    providers = model_rows(ServiceProvider, "p", connection.alias)
    sql = NOTIFYING_SETTINGS_SQL.format(settings=settings_rows.columns, providers=providers.columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, [line.pk])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        setting = settings_rows.build(row)
        setting.provider = providers.build(row[settings_rows.width :])
        setting.in_progress = bool(row[-1])
        found.append(setting)
    return found


@dataclass(frozen=True)
class ProviderOrder:
    """Every active provider's id in screen 3's order (code), and where each one stands. Arrays
    of 8-byte ids: 80 KB each for 10,000 providers, where a tuple of ints takes 400 KB."""

    ids: array  # by code
    sorted_ids: array  # the same ids, ascending
    positions: array  # where sorted_ids[i] stands in ids

    def position(self, pk: int) -> int | None:
        i = bisect_left(self.sorted_ids, pk)
        if i < len(self.sorted_ids) and self.sorted_ids[i] == pk:
            return self.positions[i]
        return None  # a provider newer than the list (kept a few seconds)


@briefly
def active_providers_in_order() -> ProviderOrder:
    """Screen 3's pages are cut from this list: an OFFSET query would walk every provider before
    the page (4.7 ms for the last of 10,000)."""
    ids = array(
        "q",
        ServiceProvider.objects.filter(active=True).order_by("code").values_list("pk", flat=True),
    )
    by_id = sorted(range(len(ids)), key=ids.__getitem__)
    return ProviderOrder(ids, array("q", (ids[i] for i in by_id)), array("q", by_id))


@receiver([post_save, post_delete], sender=ServiceProvider, dispatch_uid="provider_count")
def _forget_provider_order(**kwargs) -> None:
    active_providers_in_order.forget()  # in this process at once; in the others within seconds


# Screen 3 reads these on every page: written as SQL, since the ORM took longer to build them
# than the database takes to answer them (profiled).
NOTIFYING_IDS_SQL = f"""
    SELECT s.provider_id FROM {NotificationSetting._meta.db_table} s
    JOIN {ServiceProvider._meta.db_table} p ON p.id = s.provider_id
    WHERE s.line_id = %s AND s.notify AND p.active
"""
PAGE_ROWS_SQL = f"""
    SELECT {{columns}}, {_open_work("%s", "p.id")}
    FROM {ServiceProvider._meta.db_table} p
    WHERE p.id {{ids}} AND p.active
"""


class NotNotifyingPaginator(Paginator):
    """Screen 3's pages without scanning every provider. A line says 通知する to a handful of
    providers: their ids are read once (an index on the line's settings) and left out of the
    active providers' ids (kept a few seconds); a page reads its 20 rows by id."""

    def __init__(self, line, per_page: int):
        self.line = line
        with connection.cursor() as cursor:
            cursor.execute(NOTIFYING_IDS_SQL, [line.pk])
            self.notifying = {pk for (pk,) in cursor.fetchall()}
        self.order = active_providers_in_order()
        super().__init__(self.order.ids, per_page)

    @cached_property
    def count(self) -> int:
        return len(self.order.ids) - len(self.skipped)

    @cached_property
    def skipped(self) -> list[int]:
        """Where the line's 通知する providers stand in the full list, in order."""
        positions = (self.order.position(pk) for pk in self.notifying)
        return sorted(position for position in positions if position is not None)

    def page(self, number):
        """The page's providers, each with `in_progress` (工事中) looked up for those rows."""
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        for position in self.skipped:  # each one before the page moves it one place further
            if position > start:
                break
            start += 1
        window = self.order.ids[start : start + self.per_page + len(self.skipped)]
        ids = [pk for pk in window if pk not in self.notifying][: self.per_page]
        rows = _providers_with_work(self.line, ids) if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _providers_with_work(line, ids: list[int]) -> dict[int, ServiceProvider]:
    """The active providers among `ids`, by id, each with `in_progress`: whether the line has
    an open 工事 for it."""
    providers = model_rows(ServiceProvider, "p", connection.alias)
    ids_test, ids_params = one_of(connection, ids, alongside=1)
    sql = PAGE_ROWS_SQL.format(columns=providers.columns, ids=ids_test)
    with connection.cursor() as cursor:
        cursor.execute(sql, [line.pk, *ids_params])
        rows = cursor.fetchall()
    found = {}
    for row in rows:
        provider = providers.build(row)
        provider.in_progress = bool(row[providers.width])
        found[provider.pk] = provider
    return found


# Every flow step checks the picked providers against the line's choice: written as SQL, since
# building its two EXISTS with the ORM took 39% of the consent page (profiled).
CHOICE_SQL = f"""
    SELECT COUNT(*) FROM {ServiceProvider._meta.db_table} p
    WHERE p.id {{ids}} AND p.active
        AND {{notifying}} EXISTS (
            SELECT 1 FROM {NotificationSetting._meta.db_table} s
            WHERE s.line_id = %s AND s.provider_id = p.id AND s.notify
        )
        AND NOT {_open_work("%s", "p.id")}
"""


def all_in_choice(line, direction: str, provider_ids: Iterable[int]) -> bool:
    """Whether every one of the providers is in the line's choice for `direction` now: the rows
    of screen 2 (to stop: active, 通知する) or screen 3 (to notify: active, not 通知する) that are
    not 工事中 (no open application item of the line)."""
    wanted = sorted(set(provider_ids))
    if not wanted:
        return False
    # The picks gather over screen 3's pages: there can be hundreds of them.
    ids_test, ids_params = one_of(connection, wanted, alongside=2)
    sql = CHOICE_SQL.format(
        ids=ids_test,
        notifying="" if direction == Direction.STOP else "NOT",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids_params, line.pk, line.pk])
        (found,) = cursor.fetchone()
    return found == len(wanted)


@dataclass(frozen=True)
class Applicant:
    name: str
    phone: str
    email: str
    wants_completion_mail: bool


def new_receipt_number(now: datetime) -> str:
    """受付番号: the JST date and six random digits, e.g. 20261126-483920."""
    return f"{timezone.localtime(now):%Y%m%d}-{secrets.randbelow(10**6):06d}"


def find_submitted(line, token: uuid.UUID | str) -> Application | None:
    return line.applications.filter(submission_token=token).first()


def submit_application(
    *,
    line,
    direction: str,
    provider_ids: Iterable[int],
    applicant: Applicant,
    agreement_version: AgreementVersion,
    agreed_at: datetime,
    token: uuid.UUID | str,
    language: str = "ja",
) -> Application:
    """Create the 申込 (state 受付), its items, its first event and the consent record at once.

    The same token always yields the same application: a double click, a reload, back then
    【変更】 again, or a second tab find the first one. The unique constraints on the token and
    on open items settle races between concurrent submissions. `language` is the screens'
    language (ja or en): the completion mail is written in it.
    """
    existing = find_submitted(line, token)
    if existing is not None:
        return existing
    provider_ids = sorted(set(provider_ids))
    for _ in range(RECEIPT_NUMBER_ATTEMPTS):
        now = timezone.now()
        receipt_number = new_receipt_number(now)
        try:
            with transaction.atomic():
                if not all_in_choice(line, direction, provider_ids):
                    # The same token may have been committed since the check above.
                    existing = find_submitted(line, token)
                    if existing is not None:
                        return existing
                    raise ChoiceChanged
                application = Application.objects.create(
                    receipt_number=receipt_number,
                    line=line,
                    direction=direction,
                    applicant_name=applicant.name,
                    applicant_phone=applicant.phone,
                    applicant_email=applicant.email,
                    wants_completion_mail=applicant.wants_completion_mail,
                    agreement_version=agreement_version,
                    agreed_at=agreed_at,
                    submission_token=token,
                    language=language,
                    state=Application.State.RECEIVED,
                    received_at=now,
                    due_at=now + timedelta(seconds=settings.WSO_WORK_DELAY),
                    mail_state=(
                        Application.MailState.PENDING
                        if applicant.wants_completion_mail
                        else Application.MailState.NOT_REQUESTED
                    ),
                )
                ApplicationItem.objects.bulk_create(
                    ApplicationItem(application=application, line=line, provider_id=pk)
                    for pk in provider_ids
                )
                ApplicationEvent.objects.create(
                    application=application, state=Application.State.RECEIVED, at=now
                )
                record_acceptance(line=line, version=agreement_version, accepted_at=agreed_at)
                return application
        except IntegrityError:
            existing = find_submitted(line, token)
            if existing is not None:
                return existing
            if Application.objects.filter(receipt_number=receipt_number).exists():
                continue
            # Another application took one of these providers first.
            raise ChoiceChanged from None
    raise RuntimeError("no free 受付番号 after several attempts")
