"""The rules of the screens, stated with the ORM, for the tests to hold the statements written
as SQL (and screen 3's pages) to."""

from django.db.models import Exists, OuterRef

from notification.models import ApplicationItem, Direction, NotificationSetting, ServiceProvider


def choice(line, direction: str):
    """The providers the line may switch in `direction` now: the rows of screen 2 (to stop) or
    screen 3 (to notify) that are not 工事中."""
    notifying = Exists(
        NotificationSetting.objects.filter(line=line, provider=OuterRef("pk"), notify=True)
    )
    open_item = Exists(
        ApplicationItem.objects.filter(line=line, provider=OuterRef("pk"), is_open=True)
    )
    return ServiceProvider.objects.filter(
        notifying if direction == Direction.STOP else ~notifying, ~open_item, active=True
    )
