"""The disclosure log's monthly roll-up, kept by the worker behind the log (提供履歴 reads it).

Every disclosure before DisclosureRollup.through is counted in DisclosureMonth (per line,
for 提供履歴) and DisclosureDay (per provider, for the 事業者ポータル's chart); the later ones
only in the log itself, where both pages read them. The worker moves `through` up to LAG
ago: a look-up's row is committed right after its `at` is taken, and LAG leaves room for any
still in flight. A look-up writes nothing for it.
"""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from . import partitions
from .models import Disclosure, DisclosureDay, DisclosureMonth, DisclosureRollup

LAG = timedelta(minutes=10)

# One month's part of [start, stop) added to that month's rows.
MONTHS = DisclosureMonth._meta.db_table
UPSERT_SQL = f"""
    INSERT INTO {MONTHS} (line_id, provider_id, month, first_at, last_at, times)
    SELECT line_id, provider_id, %s, MIN(at), MAX(at), COUNT(*) FROM {Disclosure._meta.db_table}
    WHERE at >= %s AND at < %s GROUP BY line_id, provider_id
    ON CONFLICT (line_id, provider_id, month) DO UPDATE SET
        first_at = {{least}}({MONTHS}.first_at, EXCLUDED.first_at),
        last_at = {{greatest}}({MONTHS}.last_at, EXCLUDED.last_at),
        times = {MONTHS}.times + EXCLUDED.times
"""

DAYS = DisclosureDay._meta.db_table


def per_provider_day(disclosures):
    """The disclosures counted per provider and day (Asia/Tokyo): (provider_id, day, times)."""
    return (
        disclosures.annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values_list("provider_id", "day")
        .annotate(times=Count("id"))
        .order_by()
    )


def _add_days(cursor, start: datetime, stop: datetime) -> None:
    select, params = per_provider_day(
        Disclosure.objects.filter(at__gte=start, at__lt=stop)
    ).query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {DAYS} (provider_id, day, times) {select}"
        f" ON CONFLICT (provider_id, day) DO UPDATE SET times = {DAYS}.times + EXCLUDED.times",
        params,
    )


def roll_up(*, now: datetime | None = None) -> datetime:
    """Count the log's rows up to LAG ago into their months; returns the new `through`."""
    end = (now or timezone.now()) - LAG
    least, greatest = ("MIN", "MAX") if connection.vendor == "sqlite" else ("LEAST", "GREATEST")
    upsert = UPSERT_SQL.format(least=least, greatest=greatest)
    ops = connection.ops
    with transaction.atomic():
        # The row lock keeps two workers from counting the same rows.
        mark, _ = DisclosureRollup.objects.select_for_update().get_or_create(pk=1)
        start = mark.through or Disclosure.objects.aggregate(oldest=Min("at"))["oldest"] or end
        with connection.cursor() as cursor:
            while start < end:
                month = partitions.month_of(start)
                stop = min(end, partitions.month_start(partitions.add_months(month, 1)))
                cursor.execute(
                    upsert,
                    [
                        ops.adapt_datefield_value(month),
                        ops.adapt_datetimefield_value(start),
                        ops.adapt_datetimefield_value(stop),
                    ],
                )
                _add_days(cursor, start, stop)
                start = stop
        if mark.through is None or end > mark.through:
            mark.through = end
            mark.save(update_fields=["through"])
    return mark.through


def run_roll_up(*, should_stop=lambda: False) -> None:
    """The worker's round for the log: roll it up to LAG ago."""
    if not should_stop():
        roll_up()
