from functools import wraps

from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop

from .models import SubscriberLine

LINE_UNAVAILABLE = gettext_noop("ご利用の回線は現在ご利用いただけません。")


def line_required(view):
    """A logged-in subscriber whose line is active; sets `request.line`.

    Every subscriber view goes through here, and every query of theirs starts from
    `request.line`, so no view can reach another line's data.
    """

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        line = getattr(request.user, "line", None)
        if line is None and request.user.is_staff:
            # An operator's admin session stays; this page is not theirs to see.
            return render(request, "portal/staff_forbidden.html", status=403)
        if line is None or line.status != SubscriberLine.Status.ACTIVE:
            auth.logout(request)
            messages.error(request, gettext(LINE_UNAVAILABLE))
            return redirect("portal:login")
        request.line = line
        return view(request, *args, **kwargs)

    return wrapper
