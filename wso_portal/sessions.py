"""Sessions (SESSION_ENGINE): Django's database sessions, and their lifetimes:
WSO_SESSION_IDLE_SECONDS idle (SESSION_COOKIE_AGE), and an absolute end WSO_SESSION_MAX_AGE_SECONDS
after the login, however busy the session is.

The idle clock is restarted by saving the session, which sets its expiry anew. Saving on every
request (SESSION_SAVE_EVERY_REQUEST) would cost a write per page; the session is instead saved
when its last refresh is more than a minute old, so the idle limit holds to within a minute.
"""

import time

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.dispatch import receiver
from django.utils import timezone

LOGGED_IN_AT = "wso_logged_in_at"
REFRESHED_AT = "wso_refreshed_at"
REFRESH_AFTER_SECONDS = 60


class SessionStore(db.SessionStore):
    """Django's own, with the read every page makes written as one statement: the ORM takes
    longer to build it than the database takes to answer it (make bench)."""

    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {self.model._meta.db_table}"
                " WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        fields = ["session_key", "session_data"]
        return self.model.from_db(connection.alias, fields, [self.session_key, row[0]])


@receiver(user_logged_in, dispatch_uid="wso_portal.sessions.remember_login_time")
def remember_login_time(sender, request, user, **kwargs):
    request.session[LOGGED_IN_AT] = request.session[REFRESHED_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """Ends a session older than WSO_SESSION_MAX_AGE_SECONDS (or one that does not say when it
    began); the page asked for then answers as to anyone logged out. Restarts the idle clock of
    the others, at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(LOGGED_IN_AT)
            if started is None or now - started > settings.WSO_SESSION_MAX_AGE_SECONDS:
                auth.logout(request)
            elif now - request.session.get(REFRESHED_AT, 0) >= REFRESH_AFTER_SECONDS:
                request.session[REFRESHED_AT] = int(now)  # saved, with a new expiry
        return self.get_response(request)
