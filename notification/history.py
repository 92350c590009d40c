"""受付完了 and 申込履歴: the line's applications as the receipt and the history show them.

Each read is one statement written as SQL: on these pages the ORM took longer to build the
queries (a window query, joins) than the database took to answer them (profiled). Values come
back through the ORM's own converters (wso_portal.statements)."""

from dataclasses import dataclass
from functools import cache

from django.db import connection, connections

from agreements.models import AgreementVersion
from providers.models import WebhookEvent
from wso_portal.statements import NO_LIMIT, converter, model_rows, placeholders

from .models import Application, ApplicationItem, ServiceProvider

RECEIPT_SQL = f"""
    SELECT {{applications}}, {{versions}} FROM {Application._meta.db_table} a
    JOIN {AgreementVersion._meta.db_table} v ON v.id = a.agreement_version_id
    WHERE a.line_id = %s AND a.receipt_number = %s
"""


def find_receipt(line, receipt_number: str) -> Application | None:
    """The line's application with this 受付番号, with the 同意書 version agreed to."""
    applications = model_rows(Application, "a", connection.alias)
    versions = model_rows(AgreementVersion, "v", connection.alias)
    sql = RECEIPT_SQL.format(applications=applications.columns, versions=versions.columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, [line.pk, receipt_number])
        row = cursor.fetchone()
    if row is None:
        return None
    application = applications.build(row)
    application.agreement_version = versions.build(row[applications.width :])
    return application


class LineApplications:
    """申込履歴's pages of the line's applications, newest first, as Paginator reads them: a
    count, and slices."""

    COUNT_SQL = f"SELECT COUNT(*) FROM {Application._meta.db_table} WHERE line_id = %s"
    PAGE_SQL = f"""
        SELECT {{columns}} FROM {Application._meta.db_table} a WHERE a.line_id = %s
        ORDER BY a.received_at DESC, a.id DESC LIMIT %s OFFSET %s
    """

    def __init__(self, line):
        self.line = line

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(self.COUNT_SQL, [self.line.pk])
            return cursor.fetchone()[0]

    def __getitem__(self, window: slice) -> list[Application]:
        applications = model_rows(Application, "a", connection.alias)
        sql = self.PAGE_SQL.format(columns=applications.columns)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.line.pk, window.stop - window.start, window.start])
            return [applications.build(row) for row in cursor.fetchall()]


# Applications' providers by code, each with its 即時通知, and each application's item count: one
# window query over the applications, which reads only the rows it shows (the ORM took 3 ms to
# build it).
ITEMS_SQL = f"""
    SELECT application_id, item_count, code, name, service_name, notice_id, delivered_at FROM (
        SELECT i.application_id, p.code, p.name, p.service_name,
            n.id AS notice_id, n.delivered_at,
            COUNT(*) OVER (PARTITION BY i.application_id) AS item_count,
            ROW_NUMBER() OVER (PARTITION BY i.application_id ORDER BY p.code, i.id) AS position
        FROM {ApplicationItem._meta.db_table} i
        JOIN {ServiceProvider._meta.db_table} p ON p.id = i.provider_id
        LEFT JOIN {WebhookEvent._meta.db_table} n ON n.application_item_id = i.id
        WHERE i.application_id IN ({{ids}})
    ) items WHERE position <= %s ORDER BY application_id, position
"""


# ご利用状況詳細's applications still in 工事, oldest first, each with its first providers by code
# and its item count: one statement, the items' window read for those applications only.
PENDING_SQL = f"""
    SELECT {{applications}}, t.item_count, t.code, t.name, t.service_name
    FROM {Application._meta.db_table} a LEFT JOIN (
        SELECT i.application_id, p.code, p.name, p.service_name,
            COUNT(*) OVER (PARTITION BY i.application_id) AS item_count,
            ROW_NUMBER() OVER (PARTITION BY i.application_id ORDER BY p.code, i.id) AS position
        FROM {ApplicationItem._meta.db_table} i
        JOIN {ServiceProvider._meta.db_table} p ON p.id = i.provider_id
        WHERE i.application_id IN (
            SELECT id FROM {Application._meta.db_table} WHERE line_id = %s AND state IN ({{open}})
        )
    ) t ON t.application_id = a.id AND t.position <= %s
    WHERE a.line_id = %s AND a.state IN ({{open}})
    ORDER BY a.id, t.position
"""


@dataclass(frozen=True)
class ShownItem:
    """An application's provider as the receipt and 申込履歴 show it, and its 即時通知, if any."""

    provider: dict  # code, name, service_name
    provider_notice: dict | None  # its delivered_at (None until delivered); None: no event


def items_of(
    application_ids: list[int], *, first: int | None = None
) -> dict[int, tuple[list[ShownItem], int]]:
    """Per application: its providers by code (only the `first` few, if given) and how many it
    has in all."""
    if not application_ids:
        return {}
    convert_delivered_at = _delivered_at_converter(connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(
            ITEMS_SQL.format(ids=placeholders(application_ids)),
            [*application_ids, NO_LIMIT if first is None else first],
        )
        rows = cursor.fetchall()
    found = {}
    for application_id, count, code, name, service_name, notice_id, delivered_at in rows:
        items = found.setdefault(application_id, ([], count))[0]
        notice = None
        if notice_id is not None:
            notice = {"delivered_at": convert_delivered_at(delivered_at)}
        provider = {"code": code, "name": name, "service_name": service_name}
        items.append(ShownItem(provider, notice))
    return found


def pending_applications(line, *, first: int) -> list[Application]:
    """The line's applications still in 工事 (either way), oldest first, each with
    `first_items` (its first providers by code), `item_count` and `more_items`."""
    applications = model_rows(Application, "a", connection.alias)
    open_states = list(Application.OPEN_STATES)
    sql = PENDING_SQL.format(applications=applications.columns, open=placeholders(open_states))
    with connection.cursor() as cursor:
        cursor.execute(sql, [line.pk, *open_states, first, line.pk, *open_states])
        rows = cursor.fetchall()
    pk = applications.attnames.index("id")
    found: dict[int, Application] = {}
    for row in rows:
        item_count, code, name, service_name = row[applications.width :]
        application = found.get(row[pk])
        if application is None:  # its first row: the application's columns repeat on the rest
            application = found[row[pk]] = applications.build(row)
            application.first_items, application.item_count = [], item_count or 0
        if code is not None:
            provider = {"code": code, "name": name, "service_name": service_name}
            application.first_items.append(ShownItem(provider, None))
    for application in found.values():
        application.more_items = application.item_count - len(application.first_items)
    return list(found.values())


@cache
def _delivered_at_converter(alias: str):
    return converter(WebhookEvent._meta.get_field("delivered_at"), "n", connections[alias])
