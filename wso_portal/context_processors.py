from .models import SubscriberLine
from .sessions import WARN_BEFORE_SECONDS, seconds_left


def line(request):
    """The logged-in subscriber's active line, for the header's お客様ID and the footer links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"line": None}
    line = getattr(user, "line", None)
    if line is None or line.status != SubscriberLine.Status.ACTIVE:
        return {"line": None}
    return {
        "line": line,
        "session_seconds_left": seconds_left(request),
        "session_warn_before": WARN_BEFORE_SECONDS,
    }
