"""Django's PostgreSQL backend, with a health check that costs no round trip.

A persistent connection is checked before each request's first query (CONN_HEALTH_CHECKS), and
Django's check is a SELECT 1: a round trip on every page. A connection the server has ended (a
restart, pg_terminate_backend, an idle timeout) has its last message or the end of the stream
waiting on the socket, while an idle live one has nothing to read: SELECT 1 runs only then.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError, base.Database.Error):
            return False
        return not readable or super().is_usable()
