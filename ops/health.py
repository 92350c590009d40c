"""/readyz's checks: the database answers and is fully migrated, Redis answers (where
REDIS_URL is set), and some worker loop finished a round within HEARTBEAT_FRESH. The database's
part is one query."""

from datetime import timedelta
from functools import cache

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from .models import Heartbeat

HEARTBEAT_FRESH = timedelta(seconds=60)

# Every applied migration, each row carrying the count of fresh heartbeats: one round trip.
READY_SQL = (
    "SELECT app, name, (SELECT COUNT(*) FROM {heartbeats} WHERE beat_at > %s)"
    " FROM django_migrations"
)


@cache
def _on_disk() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The migrations this code has, each with those it replaces (a squashed one)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: list(loader.graph.nodes[key].replaces) for key in loader.graph.nodes}


def _database() -> dict[str, str]:
    since = connection.ops.adapt_datetimefield_value(timezone.now() - HEARTBEAT_FRESH)
    try:
        with connection.cursor() as cursor:
            cursor.execute(READY_SQL.format(heartbeats=Heartbeat._meta.db_table), [since])
            rows = cursor.fetchall()
    except DatabaseError as exc:
        return {
            "database": f"error: {type(exc).__name__}",
            "migrations": "unknown",
            "worker_heartbeat": "unknown",
        }
    applied = {(app, name) for app, name, _ in rows}
    unapplied = [
        key
        for key, replaces in _on_disk().items()
        if key not in applied and not (replaces and all(r in applied for r in replaces))
    ]
    fresh = rows[0][2] if rows else 0
    return {
        "database": "ok",
        "migrations": "ok" if not unapplied else f"{len(unapplied)} unapplied",
        "worker_heartbeat": "ok" if fresh else "none in the last 60 s",
    }


def _redis() -> str:
    try:
        caches["default"].client.get_client(write=True).ping()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def readiness() -> dict[str, str]:
    checks = _database()
    if settings.REDIS_URL:
        checks["redis"] = _redis()
    return checks
