"""Django's flush, able to empty the audit log on SQLite too.

Emptying every table is the one deletion the audit log allows: PostgreSQL's flush is a TRUNCATE,
which passes its row triggers; SQLite's is a DELETE per table, so its triggers are lifted and put
back in the flush's own transaction. Used by `manage.py flush` and by the tests that reset the
database between tests.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

from audit import append_only


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if (
            connection.vendor != "sqlite"
            or "audit_auditentry" not in connection.introspection.table_names()
        ):
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            append_only.remove(connection)
            super().handle(**options)
            append_only.install(connection)
