"""Who may authenticate, and how.

Subscribers log in with フレッツナンバー + アクセスキー through the portal only; operators
(staff without a line) log in to the admin with username + password. Neither backend accepts
the other's accounts, so the admin login cannot be used to guess access keys.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .models import SubscriberLine


def _spend_a_hash(secret: str) -> None:
    """Run the hasher once so an unknown account answers as slowly as a known one."""
    get_user_model()().set_password(secret)


def check_access_key(flets_number: str, access_key: str) -> SubscriberLine | None:
    """The line whose access key this is, whatever its status; None for a wrong pair."""
    line = (
        SubscriberLine.objects.select_related("user")
        .filter(flets_number=flets_number, user__is_active=True)
        .first()
    )
    if line is None:
        _spend_a_hash(access_key)
        return None
    return line if line.user.check_password(access_key) else None


class AccessKeyBackend(ModelBackend):
    """フレッツナンバー + アクセスキー (both already normalised) of an active line."""

    def authenticate(self, request, flets_number=None, access_key=None, **kwargs):
        if not flets_number or not access_key:
            return None
        line = check_access_key(flets_number, access_key)
        if line is None or line.status != SubscriberLine.Status.ACTIVE:
            return None
        return line.user

    def get_user(self, user_id):
        """The session's user with its line in the same query: every subscriber page reads it."""
        User = get_user_model()
        try:
            # get(), as Django's own backends: first() would add an ORDER BY to a primary key.
            user = User._default_manager.select_related("line").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class StaffBackend(ModelBackend):
    """Username + password for operators only: a subscriber's account never authenticates here."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        user = (
            get_user_model()
            ._default_manager.filter(
                **{get_user_model().USERNAME_FIELD: username}, is_staff=True, line__isnull=True
            )
            .first()
        )
        if user is None:
            _spend_a_hash(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
