"""Request rates counted in the shared cache with django-ratelimit (Redis in production)."""

import logging

from django_ratelimit.core import get_usage

logger = logging.getLogger("wso_portal.rates")


def count(request, *, group: str, key: str, rate: str) -> dict | None:
    """Count this request against `key`'s rate; django-ratelimit's usage (should_limit,
    time_left), or None when the cache cannot be reached. A rate guards capacity, so an
    unreachable cache lets requests through, logged, rather than stopping every one of them."""
    try:
        return get_usage(
            request, group=group, key=lambda group, request: key, rate=rate, increment=True
        )
    except Exception:
        logger.exception("rate not counted (cache unreachable) group=%s key=%s", group, key)
        return None
