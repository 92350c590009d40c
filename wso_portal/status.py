"""The ご利用状況 column of the top page."""

from collections.abc import Iterable

from .models import ServiceStatus


def usage_status(statuses: Iterable[str], *, default: str) -> str:
    """One word for a service's row.

    No contract or application: the service's default. One state: that state. Several at once
    (say 利用中 and 変更中): 利用中, as the manual's (※) footnote says.
    """
    distinct = set(statuses)
    if not distinct:
        return default
    if len(distinct) == 1:
        return distinct.pop()
    return ServiceStatus.IN_USE


def notification_status(*, notifying: bool, open_directions: Iterable[str]) -> str:
    """回線情報通知機能: 通知 / ---, or 登録中 / 変更中 while an application is open."""
    from notification.models import Direction

    in_progress = [
        ServiceStatus.REGISTERING if d == Direction.NOTIFY else ServiceStatus.CHANGING
        for d in open_directions
    ]
    return usage_status(
        in_progress, default=ServiceStatus.NOTIFY if notifying else ServiceStatus.NONE
    )
