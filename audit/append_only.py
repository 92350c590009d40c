"""The database's half of the audit log's append-only rule: a trigger that refuses UPDATE and
DELETE on audit_auditentry, whoever connects (the model refuses them too, in Python).

Emptying the whole database is not refused: PostgreSQL's TRUNCATE (manage.py flush, the tests'
teardown) does not fire row triggers, and on SQLite the flush command lifts the triggers for the
length of its transaction (audit/management/commands/flush.py).

On SQLite a migration that rebuilds this table drops its triggers: such a migration must call
install() again.
"""

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_entry_append_only: the audit log is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    """
    CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_{event.lower()} BEFORE {event}
    ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'audit_entry_append_only: the audit log is append-only'); END
    """
    for event in ("UPDATE", "DELETE")
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    return []


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, install=True):
            cursor.execute(sql)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, install=False):
            cursor.execute(sql)
