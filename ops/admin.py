from django.contrib import admin
from django.utils import timezone

from wso_portal.admin import ReadOnlyAdmin

from .health import HEARTBEAT_FRESH
from .models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    """Which workers run, and when each of their loops last finished a round."""

    list_display = ["worker", "loop", "beat_at", "is_fresh"]
    list_filter = ["loop"]

    @admin.display(description="60秒以内", boolean=True)
    def is_fresh(self, obj):
        return obj.beat_at > timezone.now() - HEARTBEAT_FRESH
