"""Monthly partitions of the tables that grow with every look-up, on PostgreSQL.

The disclosure log is range-partitioned on `at` and its monthly roll-up on `month`, one
partition a month (Asia/Tokyo), so that retention drops a whole month (detach, then drop)
instead of deleting rows one by one, and no look-up ever pays for it. A DEFAULT partition
catches a row whose month has no partition yet, so no insert can fail for want of one;
ensure() moves such rows into their month when it creates it.

A small module of our own rather than django-postgres-extra (which replaces the database
backend the portal already customises) or pg_partman (a server extension that managed
PostgreSQL services do not all offer): creating and dropping a month is a few statements.
SQLite, the embedded default, keeps one table of each and deletes.

Making and dropping partitions takes the table's owner: under the production role layout
(scripts/db-roles) migrate, purge and `manage.py disclosure_partitions` run as the owner.
"""

from datetime import date, datetime, time

from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

MONTHS_AHEAD = 2  # the current month and the next two always exist


def month_of(moment: datetime | date) -> date:
    """The first day of the month holding the moment, in the portal's time zone."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment, timezone.get_default_timezone())
    return date(moment.year, moment.month, 1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime.combine(month, time.min, tzinfo=timezone.get_default_timezone())


def partitioned_tables() -> dict[str, str]:
    """Each partitioned table and the column it is partitioned on."""
    from .models import Disclosure, DisclosureMonth

    return {Disclosure._meta.db_table: "at", DisclosureMonth._meta.db_table: "month"}


def is_partitioned(table: str, *, connection=default_connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table]
        )
        return cursor.fetchone() is not None


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def months_of(table: str, *, connection=default_connection) -> list[date]:
    """The months that have a partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s) AND c.relname LIKE %s
            """,
            [table, f"{table}\\_p______"],
        )
        names = [row[0] for row in cursor.fetchall()]
    return sorted(date(int(name[-6:-2]), int(name[-2:]), 1) for name in names)


def _bound(column: str, month: date) -> str:
    """A month's bound as a literal: DDL takes no parameters. Built from a date, never input."""
    return f"'{month_start(month).isoformat()}'" if column == "at" else f"'{month.isoformat()}'"


def ensure(*, now: datetime | None = None, months: list[date] = (), connection=None) -> int:
    """Create the current month's partition and the next MONTHS_AHEAD ones (and `months`)
    where missing; returns how many were created. Nothing to do on SQLite."""
    connection = connection or default_connection
    current = month_of(now or timezone.now())
    wanted = {add_months(current, ahead) for ahead in range(MONTHS_AHEAD + 1)} | set(months)
    created = 0
    for table, column in partitioned_tables().items():
        if not is_partitioned(table, connection=connection):
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NULL", [f"{table}_default"])
            if cursor.fetchone()[0]:
                cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        existing = set(months_of(table, connection=connection))
        for month in sorted(wanted - existing):
            _create(table, column, month, connection)
            created += 1
    return created


def _create(table: str, column: str, month: date, connection) -> None:
    """A month's partition, taking over any of its rows that the DEFAULT partition caught:
    built beside the table, filled, then attached (ATTACH checks that DEFAULT holds none)."""
    name = partition_name(table, month)
    lower, upper = _bound(column, month), _bound(column, add_months(month, 1))
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"""
            WITH moved AS (
                DELETE FROM {table}_default WHERE {column} >= {lower} AND {column} < {upper}
                RETURNING *
            ) INSERT INTO {name} SELECT * FROM moved
            """
        )
        cursor.execute(
            f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({lower}) TO ({upper})"
        )


def drop_before(boundary: date, *, connection=None) -> dict[str, int]:
    """Drop every month before `boundary` (detached first), and delete what the DEFAULT
    partition holds before it; the rows removed, per table."""
    connection = connection or default_connection
    removed = {}
    for table, column in partitioned_tables().items():
        if not is_partitioned(table, connection=connection):
            continue
        removed[table] = 0
        for month in months_of(table, connection=connection):
            if month >= boundary:
                break
            removed[table] += _drop(table, partition_name(table, month), connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table}_default WHERE {column} < {_bound(column, boundary)}"
            )
            removed[table] += cursor.rowcount
    return removed


def _drop(table: str, name: str, connection) -> int:
    """Detach the month, then drop it. Plain DETACH (CONCURRENTLY is not allowed beside a
    DEFAULT partition) holds the parent's lock only for a catalog change; lock_timeout keeps
    it from queueing look-ups behind a long query: the next purge tries again."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        # Rows written earlier in the caller's transaction (the tests') settle their deferred
        # foreign-key checks first, or the table could not go.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SELECT COUNT(*) FROM {name}")
        rows = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")
    return rows


# Migrations -------------------------------------------------------------------------------------


def partition_table(table: str, column: str, *, connection, now: datetime | None = None) -> None:
    """Turn a plain table into one partitioned by month on `column`, keeping every row, its
    ids, constraints and indexes (the primary key becomes (id, column), as PostgreSQL asks)."""
    old = f"{table}_unpartitioned"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
        definitions = _detach_definitions(cursor, old)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [old])
        cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} RENAME TO {old}_id_seq")
        cursor.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            f" PARTITION BY RANGE ({column})"
        )
        cursor.execute(f"CREATE SEQUENCE {table}_id_seq OWNED BY {table}.id")
        cursor.execute(
            f"SELECT setval('{table}_id_seq', COALESCE(MAX(id), 0) + 1, false) FROM {old}"
        )
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")
        cursor.execute(f"SELECT MIN({column}) FROM {old}")
        oldest = cursor.fetchone()[0]
    now = now or timezone.now()
    first = month_of(oldest) if oldest is not None else month_of(now)
    months, month = [], first
    while month <= month_of(now):
        months.append(month)
        month = add_months(month, 1)
    ensure(now=now, months=months, connection=connection)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        cursor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {column})"
        )
        _attach_definitions(cursor, definitions, old, table)
        cursor.execute(f"DROP TABLE {old}")


def unpartition_table(table: str, *, connection) -> None:
    """partition_table's reverse: one plain table again, every row kept."""
    old = f"{table}_partitioned"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
        definitions = _detach_definitions(cursor, old)
        cursor.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)")
        _attach_definitions(cursor, definitions, old, table)
        cursor.execute(f"DROP TABLE {old} CASCADE")


def _detach_definitions(cursor, table: str) -> tuple[list, list]:
    """The table's foreign keys, unique constraints and indexes, taken off it (its primary key
    too) so that their names are free for the table that replaces it."""
    cursor.execute(
        """
        SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint
        WHERE conrelid = to_regclass(%s) AND contype IN ('f', 'u', 'p') ORDER BY conname
        """,
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = %s AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u')
        ) ORDER BY i.indexname
        """,
        [table],
    )
    indexes = cursor.fetchall()
    for name, _, _ in constraints:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    kept = [(name, definition) for name, definition, kind in constraints if kind != "p"]
    return kept, indexes


def _attach_definitions(cursor, definitions: tuple[list, list], old: str, table: str) -> None:
    constraints, indexes = definitions
    for name, definition in constraints:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _, definition in indexes:
        cursor.execute(definition.replace(f" ON public.{old} ", f" ON {table} ", 1))
