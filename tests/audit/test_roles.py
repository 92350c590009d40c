"""The audit log against the database's own roles (scripts/db-roles, docs/operations.md): the
app's role owns nothing, may only read and add entries, and can neither empty the log nor lift its
triggers; even the table's owner is refused TRUNCATE outside flush."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: roles and privileges"
    ),
]

BASE_DIR = Path(__file__).resolve().parents[2]
# Roles belong to the whole cluster, which other test runs may share.
OWNER, APP = f"wso_test_owner_{os.getpid()}", f"wso_test_app_{os.getpid()}"
PASSWORDS = {OWNER: "owner-pass-2026", APP: "app-pass-2026"}
REFUSED = psycopg.errors.InsufficientPrivilege
ADD_ENTRY = (
    "INSERT INTO audit_auditentry (at, operator, request_id, action, target_type, target_id,"
    " target_repr, details) VALUES (now(), 'mallory', '', 'login', '', '', '', '{}')"
)


def db_roles(database):
    settings = connection.settings_dict
    pg = {"PGHOST": settings["HOST"], "PGPORT": str(settings["PORT"] or "")}
    pg |= {"PGUSER": settings["USER"], "PGPASSWORD": settings["PASSWORD"]}
    subprocess.run(
        [BASE_DIR / "scripts" / "db-roles"],
        env={
            **os.environ,
            **{name: value for name, value in pg.items() if value},
            "WSO_DB_NAME": database,
            "WSO_DB_OWNER": OWNER,
            "WSO_DB_OWNER_PASSWORD": PASSWORDS[OWNER],
            "WSO_DB_APP": APP,
            "WSO_DB_APP_PASSWORD": PASSWORDS[APP],
        },
        check=True,
    )


def connect(role=None, database=None):
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        dbname=database or settings["NAME"],
        user=role or settings["USER"],
        password=PASSWORDS.get(role, settings["PASSWORD"]),
        autocommit=True,
    )


def drop_roles():
    """Give back what the roles own in the test database, then drop them."""
    with connect() as superuser:
        for role in (OWNER, APP):
            if superuser.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                superuser.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                superuser.execute(f'DROP OWNED BY "{role}"')
                superuser.execute(f'DROP ROLE "{role}"')


def count_entries():
    with connect() as superuser:
        return superuser.execute("SELECT count(*) FROM audit_auditentry").fetchone()[0]


@pytest.fixture
def layout(transactional_db):
    """The test database as production had it, the app's role owning the tables, then the
    script run over it."""
    try:
        with connect() as superuser:
            superuser.execute(f'CREATE ROLE "{APP}" LOGIN')
            for table in connection.introspection.table_names():
                superuser.execute(f'ALTER TABLE "{table}" OWNER TO "{APP}"')
            superuser.execute(f'ALTER FUNCTION audit_entry_append_only() OWNER TO "{APP}"')
        db_roles(connection.settings_dict["NAME"])
        AuditEntry.objects.create(action=AuditEntry.Action.LOGIN, operator="operator")
        AuditEntry.objects.create(action=AuditEntry.Action.LOGOUT, operator="operator")
        yield
    finally:
        drop_roles()


def test_the_apps_role_owns_nothing_and_is_no_superuser(layout):
    with connect() as superuser:
        owners = superuser.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace"
            " UNION SELECT pg_get_userbyid(proowner) FROM pg_proc"
            " WHERE pronamespace = 'public'::regnamespace"
            " UNION SELECT pg_get_userbyid(datdba) FROM pg_database"
            " WHERE datname = current_database()"
        ).fetchall()
        assert owners == [(OWNER,)]
        app = superuser.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls,"
            " pg_has_role(rolname, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s",
            [OWNER, APP],
        ).fetchone()
        assert app == (False, False, False, False, False)


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE audit_auditentry",
        "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only",
        "DROP TRIGGER audit_entry_append_only ON audit_auditentry",
        "SET session_replication_role = replica",
    ],
)
def test_the_apps_role_cannot_empty_the_log_or_lift_its_triggers(layout, sql):
    with connect(APP) as app:
        with pytest.raises(REFUSED):
            app.execute(sql)
        with pytest.raises(REFUSED):
            app.execute("DELETE FROM audit_auditentry")
    assert count_entries() == 2


def test_the_apps_role_may_read_and_add_entries_and_nothing_more(layout):
    with connect(APP) as app:
        app.execute(ADD_ENTRY)
        assert app.execute("SELECT count(*) FROM audit_auditentry").fetchone() == (3,)
        with pytest.raises(REFUSED):
            app.execute("UPDATE audit_auditentry SET operator = 'someone-else'")
        with pytest.raises(REFUSED):
            app.execute("DELETE FROM audit_auditentry WHERE operator = 'mallory'")
    assert count_entries() == 3
    assert not AuditEntry.objects.filter(operator="someone-else").exists()


def test_the_apps_role_may_change_the_portals_tables_also_those_of_later_migrations(layout):
    with connect(OWNER) as owner:
        owner.execute("CREATE TABLE later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)")
    rows = {
        "wso_portal_announcement": "(text, publish_from) VALUES ('メンテナンス', now())",
        "later": "DEFAULT VALUES",
    }
    try:
        with connect(APP) as app:
            for table, row in rows.items():
                [pk] = app.execute(f"INSERT INTO {table} {row} RETURNING id").fetchone()
                app.execute(f"UPDATE {table} SET id = id WHERE id = %s", [pk])
                app.execute(f"DELETE FROM {table} WHERE id = %s", [pk])
                assert app.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
                with pytest.raises(REFUSED):
                    app.execute(f"TRUNCATE {table}")
    finally:
        with connect(OWNER) as owner:
            owner.execute("DROP TABLE later")


def test_a_new_database_migrated_by_the_owner_leaves_the_app_only_reading_and_adding_entries(db):
    database = f"{connection.settings_dict['NAME']}_roles"
    settings = connection.settings_dict
    try:
        db_roles(database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "wso_portal.settings.test",
                "DATABASE_URL": f"postgres://{OWNER}:{PASSWORDS[OWNER]}@{settings['HOST']}"
                f":{settings['PORT'] or 5432}/{database}",
            },
            check=True,
        )
        with connect(APP, database) as app:
            privileges = app.execute(
                "SELECT privilege, has_table_privilege('audit_auditentry', privilege)"
                " FROM unnest(%s::text[]) AS privilege",
                [["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]],
            ).fetchall()
            assert dict(privileges) == {
                "SELECT": True,
                "INSERT": True,
                "UPDATE": False,
                "DELETE": False,
                "TRUNCATE": False,
            }
            app.execute(ADD_ENTRY)
            assert app.execute(
                "SELECT has_table_privilege('django_session', 'SELECT, INSERT, UPDATE, DELETE')"
            ).fetchone() == (True,)
    finally:
        with connect() as superuser:
            superuser.execute(f'DROP DATABASE IF EXISTS "{database}"')
        drop_roles()


def test_truncate_is_refused_even_to_the_tables_owner_outside_flush(db):
    AuditEntry.objects.create(action=AuditEntry.Action.LOGIN, operator="operator")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class"
            " WHERE oid = 'audit_auditentry'::regclass"
        )
        assert cursor.fetchone() == (True,)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.count() == 1
