"""Django's flush, able to empty the audit log.

Emptying every table is the one deletion the audit log allows, and its triggers refuse TRUNCATE
(PostgreSQL's flush) and DELETE (SQLite's): they are lifted and put back in the flush's own
transaction, which only the table's owner (or a superuser) may do. Used by `manage.py flush` and
by the tests that reset the database between tests.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

from audit import append_only


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if "audit_auditentry" not in connection.introspection.table_names():
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            append_only.remove(connection)
            super().handle(**options)
            append_only.install(connection)
