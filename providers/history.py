"""提供履歴: a line's disclosure log as its subscriber reads it, per provider and dated.

Every read starts from the line and stops at the retention window, so a subscriber sees only
their own rows and only what the log still keeps. The counts come from the log's monthly
roll-up (rollups.py) and the log's rows since, so a page costs the same for a line looked up
a thousand times a day as for one looked up ten times in all.
"""

from datetime import date, datetime
from functools import cache, cached_property

from django.db import connection, connections
from django.db.models import QuerySet

from notification.models import NotificationSetting, ServiceProvider
from wso_portal.models import SubscriberLine
from wso_portal.statements import NO_LIMIT, converter, model_rows

from .models import Disclosure, DisclosureMonth, DisclosureRollup
from .partitions import month_start
from .services import retention_start

LOG = Disclosure._meta.db_table
MONTHS = DisclosureMonth._meta.db_table
SETTINGS = NotificationSetting._meta.db_table
# Where the log's roll-up stops (rollups.py), read inside each statement below so that the
# months and the log after them come from one snapshot: nothing is counted twice or missed.
LIVE_SINCE = f"(SELECT COALESCE(MAX(through), %s) FROM {DisclosureRollup._meta.db_table})"
# Everything the line's お客様ID was told, per provider: its monthly roll-ups (at most one row a
# month), then the log's rows since the roll-up, each read through disclosure_line_provider
# for one of the line's providers (every disclosure follows a setting of the line), so that
# neither grows with how often the line was looked up.
TOLD_SQL = f"""
    SELECT provider_id, first_at, last_at, times FROM {MONTHS}
    WHERE line_id = %s AND month >= %s
    UNION ALL
    SELECT provider_id, at, at, 1 FROM {LOG}
    WHERE line_id = %s AND at >= %s AND at >= {LIVE_SINCE}
        AND provider_id IN (SELECT provider_id FROM {SETTINGS} WHERE line_id = %s)
"""
# Per provider, grouped and counted by the database. Written as SQL: through the ORM, the grouped
# query and its count took about a quarter of the 提供履歴 page (profiled), most of it the ORM's
# Python.
SUMMARIES_SQL = f"""
    SELECT {{providers}}, s.first_at, s.last_at, s.times FROM (
        SELECT provider_id, MIN(first_at) AS first_at, MAX(last_at) AS last_at, SUM(times) AS times
        FROM ({TOLD_SQL}) t GROUP BY provider_id
    ) s JOIN {ServiceProvider._meta.db_table} p ON p.id = s.provider_id {{where}}
    ORDER BY s.last_at DESC, p.code LIMIT %s OFFSET %s
"""
SUMMARIES_COUNT_SQL = f"SELECT COUNT(DISTINCT provider_id) FROM ({TOLD_SQL}) t"
# One provider's: the log's rows since the roll-up (month NULL, with where they start), then
# each month's count, newest first.
SEGMENTS_SQL = f"""
    SELECT NULL, {LIVE_SINCE}, COUNT(*) FROM {LOG}
    WHERE line_id = %s AND provider_id = %s AND at >= %s AND at >= {LIVE_SINCE}
    UNION ALL
    SELECT month, NULL, times FROM {MONTHS} WHERE line_id = %s AND provider_id = %s AND month >= %s
"""


def _since_params(since: datetime) -> tuple:
    """The retention window's start as the statements take it: the moment, and its month."""
    ops = connection.ops
    return ops.adapt_datetimefield_value(since), ops.adapt_datefield_value(since.date())


def _told_params(line_id: int, since: datetime) -> list:
    since_db, month = _since_params(since)
    return [line_id, month, line_id, since_db, since_db, line_id]


class ProviderSummaries:
    """The providers told this line's お客様ID, each a ServiceProvider with `first_at`,
    `last_at` and `times`, the last provided first. Paginator reads it (a count, and slices);
    the CSV iterates over all of it."""

    def __init__(self, line: SubscriberLine, *, now: datetime | None = None):
        self.line = line
        self.told = _told_params(line.pk, retention_start(now))

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(SUMMARIES_COUNT_SQL, self.told)
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
        return sql, [*self.told, *code_param, limit, offset]

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


class DatedDisclosures:
    """One provider's disclosures to the line, newest first, as Paginator reads them: the count
    from the roll-ups and the log since them, and a page found by skipping whole months, so
    that neither reads more rows for a line looked up a million times than for one of ten."""

    def __init__(
        self, line: SubscriberLine, provider: ServiceProvider, *, now: datetime | None = None
    ):
        self.line, self.provider = line, provider
        self.since = retention_start(now)

    @cached_property
    def _segments(self) -> tuple[datetime, int, list[tuple[date, int]]]:
        """(where the log's own rows start, how many there are, [(month, count)] newest first)."""
        since_db, month = _since_params(self.since)
        ids = [self.line.pk, self.provider.pk]
        with connection.cursor() as cursor:
            cursor.execute(SEGMENTS_SQL, [since_db, *ids, since_db, since_db, *ids, month])
            rows = cursor.fetchall()
        (live_since, live_count), months = _live_and_months(rows)
        live_since = max(_convert_at(live_since), self.since)
        return live_since, live_count, months

    def count(self) -> int:
        _, live_count, months = self._segments
        return live_count + sum(times for _, times in months)

    def __getitem__(self, window: slice) -> list[Disclosure]:
        """The page's rows, read only from the months (the log's partitions) it falls in."""
        live_since, live_count, months = self._segments
        segments = [(live_since, live_count)] + [(month_start(m), n) for m, n in months]
        skipped, before, after, seen = 0, None, self.since, 0
        for starts_at, count in segments:  # newest first
            if seen + count <= window.start:  # wholly before the page
                skipped, before = seen + count, starts_at
            if seen + count >= window.stop:  # the page ends here
                after = max(starts_at, self.since)
                break
            seen += count
        rows = disclosures(self.line, self.provider, since=after)
        if before is not None:
            rows = rows.filter(at__lt=before)
        offset = window.start - skipped
        return list(rows[offset : offset + window.stop - window.start])


def _live_and_months(rows) -> tuple[tuple, list[tuple[date, int]]]:
    live = next((since, count) for month, since, count in rows if month is None)
    months = [
        (date.fromisoformat(month) if isinstance(month, str) else month, times)  # SQLite: text
        for month, _, times in rows
        if month is not None
    ]
    return live, sorted(months, reverse=True)


def _convert_at(value) -> datetime:
    return _at_converter(connection.alias)(value)


def disclosures(
    line: SubscriberLine,
    provider: ServiceProvider,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Disclosure]:
    """Each time the お客様ID was provided to this provider, newest first (the CSV's rows)."""
    return (
        Disclosure.objects.filter(
            line=line, provider=provider, at__gte=since or retention_start(now)
        )
        .only("at", "address")
        .order_by("-at", "-id")
    )
