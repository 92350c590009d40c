"""Who may authenticate, and how.

Subscribers log in with フレッツナンバー + アクセスキー through the portal only; operators
(staff without a line) log in to the admin with username + password. Neither backend accepts
the other's accounts, so the admin login cannot be used to guess access keys.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from .models import SubscriberLine
from .statements import model_rows


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
        user = user_with_line(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


_LINE_USER = SubscriberLine._meta.get_field("user")


def user_with_line(user_id):
    """select_related("line").get(pk=user_id), as one statement written out: on every page, the
    ORM took longer to build it than the database takes to answer it (make bench)."""
    User = get_user_model()
    try:
        user_id = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    connection = connections[router.db_for_read(User)]
    users = model_rows(User, "u", connection.alias)
    lines = model_rows(SubscriberLine, "l", connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(_user_with_line_sql(connection.alias), [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = users.build(row)
    line = None
    if row[users.width] is not None:  # the line's id: none for an operator
        line = lines.build(row[users.width :])
        _LINE_USER.set_cached_value(line, user)
    _LINE_USER.remote_field.set_cached_value(user, line)
    return user


@cache
def _user_with_line_sql(alias: str) -> str:
    users = model_rows(get_user_model(), "u", alias)
    lines = model_rows(SubscriberLine, "l", alias)
    user_pk, line_user = users.model._meta.pk.column, _LINE_USER.column
    return (
        f"SELECT {users.columns}, {lines.columns}"
        f" FROM {users.model._meta.db_table} u LEFT JOIN {SubscriberLine._meta.db_table} l"
        f" ON l.{line_user} = u.{user_pk} WHERE u.{user_pk} = %s"
    )


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
