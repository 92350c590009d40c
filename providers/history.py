"""提供履歴: a line's disclosure log as its subscriber reads it, per provider and dated.

Every read starts from the line and stops at the retention window, so a subscriber sees only
their own rows and only what the log still keeps. Both reads follow the index
disclosure_line_provider (line, provider, at).
"""

from datetime import datetime
from functools import cache

from django.db import connection, connections
from django.db.models import QuerySet

from notification.models import ServiceProvider
from wso_portal.models import SubscriberLine
from wso_portal.statements import NO_LIMIT, converter, model_rows

from .models import Disclosure
from .services import retention_start

# Per provider, grouped and counted by the database. Written as SQL: through the ORM, the grouped
# query and its count took about a quarter of the 提供履歴 page (profiled), most of it the ORM's
# Python.
SUMMARIES_SQL = f"""
    SELECT {{providers}}, s.first_at, s.last_at, s.times FROM (
        SELECT provider_id, MIN(at) AS first_at, MAX(at) AS last_at, COUNT(*) AS times
        FROM {Disclosure._meta.db_table} WHERE line_id = %s AND at >= %s GROUP BY provider_id
    ) s JOIN {ServiceProvider._meta.db_table} p ON p.id = s.provider_id {{where}}
    ORDER BY s.last_at DESC, p.code LIMIT %s OFFSET %s
"""
SUMMARIES_COUNT_SQL = f"""
    SELECT COUNT(DISTINCT provider_id) FROM {Disclosure._meta.db_table}
    WHERE line_id = %s AND at >= %s
"""


class ProviderSummaries:
    """The providers told this line's お客様ID, each a ServiceProvider with `first_at`,
    `last_at` and `times`, the last provided first. Paginator reads it (a count, and slices);
    the CSV iterates over all of it."""

    def __init__(self, line: SubscriberLine, *, now: datetime | None = None):
        self.line = line
        self.since = connection.ops.adapt_datetimefield_value(retention_start(now))

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(SUMMARIES_COUNT_SQL, [self.line.pk, self.since])
            return cursor.fetchone()[0]

    def __getitem__(self, window: slice) -> list[ServiceProvider]:
        return self._read(limit=window.stop - window.start, offset=window.start)

    def __iter__(self):
        return iter(self._read())

    def of(self, code: str) -> ServiceProvider | None:
        """One provider's summary; None when the line has no record with it."""
        found = self._read(code=code)
        return found[0] if found else None

    def statement(self, *, code=None, limit=NO_LIMIT, offset=0) -> tuple[str, list]:
        providers = model_rows(ServiceProvider, "p", connection.alias)
        sql = SUMMARIES_SQL.format(
            providers=providers.columns, where="WHERE p.code = %s" if code is not None else ""
        )
        code_param = [code] if code is not None else []
        return sql, [self.line.pk, self.since, *code_param, limit, offset]

    def _read(self, **selection) -> list[ServiceProvider]:
        providers = model_rows(ServiceProvider, "p", connection.alias)
        convert_at = _at_converter(connection.alias)
        with connection.cursor() as cursor:
            cursor.execute(*self.statement(**selection))
            rows = cursor.fetchall()
        summaries = []
        for row in rows:
            provider = providers.build(row)
            first_at, last_at, provider.times = row[providers.width :]
            provider.first_at, provider.last_at = convert_at(first_at), convert_at(last_at)
            summaries.append(provider)
        return summaries


@cache
def _at_converter(alias: str):
    return converter(Disclosure._meta.get_field("at"), "s", connections[alias])


def disclosures(
    line: SubscriberLine, provider: ServiceProvider, *, now: datetime | None = None
) -> QuerySet[Disclosure]:
    """The dated list: each time the お客様ID was provided to this provider, newest first."""
    return (
        Disclosure.objects.filter(line=line, provider=provider, at__gte=retention_start(now))
        .only("at", "address")
        .order_by("-at", "-id")
    )
