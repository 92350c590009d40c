"""提供履歴: a line's disclosure log as its subscriber reads it, per provider and dated.

Every read starts from the line and stops at the retention window, so a subscriber sees only
their own rows and only what the log still keeps. Both reads follow the index
disclosure_line_provider (line, provider, at).
"""

from datetime import datetime

from django.db.models import Count, Max, Min, QuerySet

from notification.models import ServiceProvider
from wso_portal.models import SubscriberLine

from .models import Disclosure
from .services import retention_start


def provider_summaries(
    line: SubscriberLine, *, now: datetime | None = None
) -> QuerySet[ServiceProvider]:
    """The providers told this line's お客様ID, each with `first_at`, `last_at` and `times`,
    the last provided first. Grouped and counted by the database, one row per provider."""
    return (
        ServiceProvider.objects.filter(
            disclosures__line=line, disclosures__at__gte=retention_start(now)
        )
        .annotate(
            first_at=Min("disclosures__at"),
            last_at=Max("disclosures__at"),
            times=Count("disclosures"),
        )
        .order_by("-last_at", "code")
    )


def provider_summary(
    line: SubscriberLine, code: str, *, now: datetime | None = None
) -> ServiceProvider | None:
    """One provider's summary for this line; None when the line has no record with it."""
    return provider_summaries(line, now=now).filter(code=code).first()


def disclosures(
    line: SubscriberLine, provider: ServiceProvider, *, now: datetime | None = None
) -> QuerySet[Disclosure]:
    """The dated list: each time the お客様ID was provided to this provider, newest first."""
    return (
        Disclosure.objects.filter(line=line, provider=provider, at__gte=retention_start(now))
        .only("at", "address")
        .order_by("-at", "-id")
    )
