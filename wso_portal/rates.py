"""Request rates counted in the shared cache (Redis in production): the look-ups' per key in one
Redis round trip, the logins' with django-ratelimit."""

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django_ratelimit.core import get_usage
from django_redis.cache import RedisCache

logger = logging.getLogger("wso_portal.rates")

TALLY_SECONDS = 32 * 24 * 3600  # a month's and a day's: the 事業者ポータル's chart shows 30 days


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    seconds_left: int  # until the window ends: the Retry-After of a refused request

    @property
    def should_limit(self) -> bool:
        return self.count > self.limit


def count_in_window(
    *, group: str, key: str, limit: int, seconds: int, tally: str | None = None
) -> Usage | None:
    """Count this request against `key`'s `limit` in the window of `seconds` it falls in, or None
    when the cache cannot be reached (then, as with count(), the request goes through, logged).

    The windows start on the clock's multiples of `seconds`, as django-ratelimit's did for a
    rate per second. On Redis the count is one round trip: INCR and EXPIRE NX in one pipeline,
    where django-ratelimit's add and then incr took two. EXPIRE NX sets the expiry only when
    the key has none, so a count whose expiry was lost gets one on its next request.

    `tally` names a running count (kept TALLY_SECONDS) that the same round trip adds this
    request to, and that a refused request takes back (see untally()).
    """
    now = time.time()
    window = int(now // seconds)
    seconds_left = max(1, math.ceil((window + 1) * seconds - now))
    cache = caches["default"]
    name = f"rate:{group}:{key}:{window}"
    try:
        if isinstance(cache, RedisCache):
            stored = cache.make_key(name)
            pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
            pipeline.incr(stored)
            pipeline.expire(stored, seconds + 1, nx=True)  # a second more: hosts' clocks differ
            if tally:
                pipeline.incr(cache.make_key(tally))
                pipeline.expire(cache.make_key(tally), TALLY_SECONDS, nx=True)
            count = pipeline.execute()[0]
        else:  # in-process (dev, tests): nothing to save on round trips
            cache.add(name, 0, seconds + 1)
            count = cache.incr(name)
            if tally:
                cache.add(tally, 0, TALLY_SECONDS)
                cache.incr(tally)
    except Exception:
        logger.exception("rate not counted (cache unreachable) group=%s key=%s", group, key)
        return None
    return Usage(count=count, limit=limit, seconds_left=seconds_left)


def untally(tally: str) -> None:
    """Take a refused request back out of its tally: a round trip that only refused requests pay."""
    try:
        caches["default"].decr(tally)
    except Exception:  # gone or unreachable: a count is all that is lost
        logger.exception("tally not taken back: %s", tally)


def tallies(names: list[str]) -> dict[str, int]:
    """The running counts by name (one round trip), 0 where there is none; empty when the cache
    cannot be reached."""
    try:
        found = caches["default"].get_many(names)
    except Exception:
        logger.exception("tallies not read (cache unreachable)")
        return {}
    return {name: int(found.get(name, 0)) for name in names}


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
