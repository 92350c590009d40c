"""ダッシュボード's figures, each read from the provider's own rows: its look-ups and the お客様ID
told per day (Asia/Tokyo) over the last 30 days, the webhook deliveries, the keys' last use, and
how many lines say 通知する for it (a count: never which)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from notification.models import NotificationSetting
from providers.models import (
    DeliveryAttempt,
    Disclosure,
    DisclosureDay,
    DisclosureRollup,
    WebhookEvent,
)
from providers.rollups import per_provider_day
from providers.services import lookups_tally
from wso_portal import rates
from wso_portal.models import SubscriberLine

DAYS = 30
# The chart's drawing area, in SVG user units (scaled by CSS to the page's width).
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 40, 30, 10


@dataclass(frozen=True)
class Day:
    day: date
    lookups: int  # look-up requests, told or not (counted in the shared cache)
    told: int  # お客様ID told (the disclosure log's rows)


def per_day(provider, *, today: date | None = None) -> list[Day]:
    today = today or timezone.localdate()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    names = [lookups_tally(provider.pk, d) for d in days]
    lookups = rates.tallies(names)
    told = told_per_day(provider, since=days[0])
    return [Day(d, lookups.get(name, 0), told[d]) for d, name in zip(days, names, strict=True)]


def told_per_day(provider, *, since: date) -> Counter[date]:
    """The provider's disclosures per day from `since`: the days rolled up (rollups.py), then
    the log's rows after the roll-up's mark. One statement, so that one snapshot answers both
    and nothing is counted twice or missed; neither part grows with how much the provider
    looks up."""
    start = timezone.make_aware(datetime.combine(since, time.min))
    mark = DisclosureRollup.objects.filter(pk=1).values("through")
    live = Disclosure.objects.filter(
        provider=provider, at__gte=Greatest(Coalesce(Subquery(mark), start), start)
    )
    rolled = (
        DisclosureDay.objects.filter(provider=provider, day__gte=since)
        .values_list("provider_id", "day", "times")
        .order_by()
    )
    told: Counter[date] = Counter()
    for _, day, times in rolled.union(per_provider_day(live), all=True):
        told[day] += times
    return told


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str


def chart(days: list[Day]) -> dict:
    """Two bars a day, drawn to the largest figure; the axis says the scale."""
    top = max([1, *(d.lookups for d in days), *(d.told for d in days)])
    slot = (WIDTH - LEFT) / len(days)
    usable = HEIGHT - BOTTOM - TOP
    bars, labels = [], []
    for i, d in enumerate(days):
        x = LEFT + i * slot
        for j, (kind, value) in enumerate((("lookups", d.lookups), ("told", d.told))):
            height = usable * value / top
            bars.append(
                Bar(
                    x + 1 + j * (slot - 2) / 2,
                    HEIGHT - BOTTOM - height,
                    (slot - 2) / 2,
                    height,
                    kind,
                )
            )
        if i % 5 == 0 or i == len(days) - 1:
            labels.append({"x": x + slot / 2, "text": f"{d.day:%m/%d}"})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "labels": labels,
        "top": top,
        "axis_x": LEFT,
        "axis_y": HEIGHT - BOTTOM,
        "top_y": TOP + 4,
        "label_y": HEIGHT - BOTTOM + 16,
    }


def deliveries(provider, *, now=None) -> dict:
    now = now or timezone.now()
    attempts = DeliveryAttempt.objects.filter(
        event__provider=provider, at__gte=now - timedelta(days=DAYS)
    ).aggregate(
        total=Count("id"),
        succeeded=Count("id", filter=Q(status_code__gte=200, status_code__lt=300)),
    )
    states = dict(
        WebhookEvent.objects.filter(provider=provider, state__in=["pending", "failed"])
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    rate = None
    if attempts["total"]:
        rate = round(100 * attempts["succeeded"] / attempts["total"], 1)
    return {
        "success_rate": rate,
        "attempts": attempts["total"],
        "pending": states.get("pending", 0),
        "failed": states.get("failed", 0),
    }


def notifying_lines(provider) -> int:
    """How many active lines say 通知する for the provider now: a count, never which lines."""
    return NotificationSetting.objects.filter(
        provider=provider, notify=True, line__status=SubscriberLine.Status.ACTIVE
    ).count()
