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

from .handlers import API_PATH_PREFIX

LOGGED_IN_AT = "wso_logged_in_at"
REFRESHED_AT = "wso_refreshed_at"
REFRESH_AFTER_SECONDS = 60
SAVED_AT = "wso_saved_at"
# Why the browser's last session ended, for the login page to say: IDLE or MAX_AGE.
ENDED = "wso_session_ended"
IDLE, MAX_AGE = "idle", "max_age"
WARN_BEFORE_SECONDS = 120  # the idle warning's lead (static/js/session.js)
# Where the subscribers' login page is not the one to say why: the operators' and providers'.
NOT_SUBSCRIBERS = ("/admin/", "/provider/", API_PATH_PREFIX)


class SessionStore(db.SessionStore):
    """Django's own, with the read every page makes written as one statement: the ORM takes
    longer to build it than the database takes to answer it (make bench).

    Every save of a login's session sets its expiry anew (a change flow's step too), so it
    writes when in SAVED_AT: the idle warning counts down from there (seconds_left)."""

    def save(self, must_create=False):
        data = self._get_session(no_load=must_create)
        if LOGGED_IN_AT in data:
            data[SAVED_AT] = time.time()
        super().save(must_create)

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
                flows = request.session.get(_flows_key())
                auth.logout(request)
                if not request.path.startswith(NOT_SUBSCRIBERS):
                    _ended(request, MAX_AGE, flows)
            elif now - request.session.get(REFRESHED_AT, 0) >= REFRESH_AFTER_SECONDS:
                request.session[REFRESHED_AT] = int(now)  # saved, with a new expiry
        elif request.session.session_key is None and not request.path.startswith(NOT_SUBSCRIBERS):
            self._after_idle_end(request)
        return self.get_response(request)

    def _after_idle_end(self, request):
        """The browser sent the key of a session that is no longer valid: if it was a login's,
        it ended idle. Django leaves the row until clearsessions; it is read once, for the
        login page to say why and for the change flows in it to be taken up after the next
        login (notification.flow refuses them to any other line, and once too old)."""
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not key:
            return
        old = request.session.model.objects.filter(session_key=key).first()
        if old is None:
            return
        data = request.session.decode(old.session_data)
        old.delete()
        if data.get(auth.SESSION_KEY):
            _ended(request, IDLE, data.get(_flows_key()))


def _flows_key() -> str:
    from notification.flow import SESSION_KEY

    return SESSION_KEY


def _ended(request, why: str, flows: dict | None) -> None:
    request.session[ENDED] = why
    if flows:
        request.session[_flows_key()] = flows


def seconds_left(request) -> int:
    """Until the logged-in session ends, idle or not: the page's idle warning counts down
    from this. A session changed by this request is saved at its end, with a new expiry."""
    now = time.time()
    session = request.session
    saved = now if session.modified else session.get(SAVED_AT, now)
    idle_end = saved + settings.SESSION_COOKIE_AGE
    max_end = session.get(LOGGED_IN_AT, now) + settings.WSO_SESSION_MAX_AGE_SECONDS
    return max(0, int(min(idle_end, max_end) - now))
