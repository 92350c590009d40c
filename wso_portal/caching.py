"""What every page reads and operators rarely change (the top page's services, the
announcements, the current 同意書), kept in the process for WSO_READ_CACHE_SECONDS: a change by
an operator shows within those few seconds, and no page pays a query for it meanwhile."""

import time
from functools import wraps

from django.conf import settings


def briefly(function):
    """Reuse the result of a function without arguments for WSO_READ_CACHE_SECONDS."""
    kept: dict = {}

    @wraps(function)
    def cached():
        seconds = settings.WSO_READ_CACHE_SECONDS
        now = time.monotonic()
        if seconds > 0 and kept and kept["until"] > now:
            return kept["value"]
        value = function()
        kept.update(until=now + seconds, value=value)
        return value

    cached.forget = kept.clear
    return cached
