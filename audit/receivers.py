"""What the audit log records without the admin's code asking: admin logins, logouts and failed
logins (Django's auth signals), and every add, change and delete made through the admin."""

import functools

from django.contrib.admin import ModelAdmin
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.urls import reverse

from .models import AuditEntry
from .services import record, recorded

Action = AuditEntry.Action


# Logins: operators only (subscribers' logins have their own record, wso_portal.LoginAttempt).


@receiver(user_logged_in, dispatch_uid="audit.receivers.logged_in")
def logged_in(sender, request, user, **kwargs):
    if user.is_staff:
        record(request, Action.LOGIN, operator=user)


@receiver(user_logged_out, dispatch_uid="audit.receivers.logged_out")
def logged_out(sender, request, user, **kwargs):
    if user is not None and user.is_staff:
        record(request, Action.LOGOUT, operator=user)


@receiver(user_login_failed, dispatch_uid="audit.receivers.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    """The username tried on the admin's login, never the password (Django has masked it in
    `credentials` already; only the username is read here)."""
    if request is None or not request.path.startswith(reverse("admin:index")):
        return
    username = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    record(request, Action.LOGIN_FAILED, operator=str(username or "")[:150])


# The admin's add, change and delete: Django's views, its delete action and this project's
# actions all write a LogEntry through ModelAdmin.log_addition, log_change and log_deletions.
# Wrapping those three on ModelAdmin itself covers every admin, the project's and Django's.
# An action that has recorded its own entry for the object (audit.services.record) is not
# recorded again.


def _logged(action, original):
    @functools.wraps(original)
    def log(self, request, obj, message):
        entry = original(self, request, obj, message)
        if not recorded(request, obj):
            record(request, action, obj, **({"changes": message} if message else {}))
        return entry

    return log


def _logged_deletions(original):
    @functools.wraps(original)
    def log_deletions(self, request, queryset):
        objects = list(queryset)  # before the deletion, as LogEntry reads them
        entries = original(self, request, objects)
        for obj in objects:
            if not recorded(request, obj):
                record(request, Action.DELETE, obj)
        return entries

    return log_deletions


def record_admin_changes() -> None:
    if getattr(ModelAdmin, "_audited", False):
        return
    ModelAdmin.log_addition = _logged(Action.ADD, ModelAdmin.log_addition)
    ModelAdmin.log_change = _logged(Action.CHANGE, ModelAdmin.log_change)
    ModelAdmin.log_deletions = _logged_deletions(ModelAdmin.log_deletions)
    ModelAdmin._audited = True
