from functools import wraps

from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop

from .models import SubscriberLine

LINE_UNAVAILABLE = gettext_noop("ご利用の回線は現在ご利用いただけません。")
LINE_SUSPENDED = gettext_noop("ご利用の回線は現在ご利用を停止しているため、ログインできません。")
LINE_CANCELLED = gettext_noop("ご利用の回線はご解約済みのため、ログインできません。")
# Where a subscriber whose line cannot log in is sent (NTT西日本's お問い合わせセンター).
CONTACT = gettext_noop(
    "お問い合わせは、NTT西日本 お問い合わせセンター（0120-116116、受付時間 午前9時～午後5時、"
    "年末年始を除く）までご連絡ください。"
)


def line_unavailable(line) -> str:
    """Why the line cannot be used, and whom to ask, in the screens' language."""
    reason = {
        SubscriberLine.Status.SUSPENDED: LINE_SUSPENDED,
        SubscriberLine.Status.CANCELLED: LINE_CANCELLED,
    }.get(getattr(line, "status", None), LINE_UNAVAILABLE)
    return f"{gettext(reason)}{gettext(CONTACT)}"


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
            messages.error(request, line_unavailable(line))
            return redirect("portal:login")
        request.line = line
        return view(request, *args, **kwargs)

    return wrapper
