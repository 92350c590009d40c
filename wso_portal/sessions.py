"""Session lifetimes: 30 idle minutes (SESSION_COOKIE_AGE, refreshed as the user goes), and an
absolute end WSO_SESSION_MAX_AGE_SECONDS after the login, however busy the session is."""

import time

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

LOGGED_IN_AT = "wso_logged_in_at"


@receiver(user_logged_in, dispatch_uid="wso_portal.sessions.remember_login_time")
def remember_login_time(sender, request, user, **kwargs):
    request.session[LOGGED_IN_AT] = int(time.time())


class AbsoluteSessionLifetimeMiddleware:
    """Logs out a session older than WSO_SESSION_MAX_AGE_SECONDS (or one that does not say when
    it began); the page asked for then answers as to anyone logged out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(LOGGED_IN_AT)
            if started is None or time.time() - started > settings.WSO_SESSION_MAX_AGE_SECONDS:
                auth.logout(request)
        return self.get_response(request)
