"""The database's half of the audit log's append-only rule (the model refuses the same in Python).

On PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE on audit_auditentry, and only the
table's owner keeps the privilege of UPDATE, DELETE or TRUNCATE: the app's role, which owns nothing
(scripts/db-roles), cannot disable the triggers, and no one but a superuser can set
session_replication_role to skip them. The owner and any superuser can still lift them
(docs/operations.md).

Emptying the whole database is allowed: the flush command (manage.py flush, the tests' teardown)
lifts the triggers for the length of its own transaction (audit/management/commands/flush.py).

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
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
    """
    CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()
    """,
    # The owner's default privileges give the app's role UPDATE and DELETE on every table it
    # creates, this one too (scripts/db-roles): take them back from whoever holds them.
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditentry FROM PUBLIC",
    """
    DO $$
    DECLARE grantee regrole;
    BEGIN
        FOR grantee IN
            SELECT DISTINCT acl.grantee::regrole
            FROM pg_class AS c, aclexplode(c.relacl) AS acl
            WHERE c.oid = 'audit_auditentry'::regclass
                AND acl.grantee NOT IN (0, c.relowner)
                AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
        LOOP
            EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditentry FROM %s', grantee);
        END LOOP;
    END
    $$
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
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
