"""Session lifetimes: WSO_SESSION_IDLE_SECONDS idle (SESSION_COOKIE_AGE), and an absolute end
WSO_SESSION_MAX_AGE_SECONDS after the login, however busy the session is.

The idle clock is restarted by saving the session, which sets its expiry anew. Saving on every
request (SESSION_SAVE_EVERY_REQUEST) would cost a write per page; the session is instead saved
when its last refresh is more than a minute old, so the idle limit holds to within a minute.
"""

import time

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

LOGGED_IN_AT = "wso_logged_in_at"
REFRESHED_AT = "wso_refreshed_at"
REFRESH_AFTER_SECONDS = 60


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
