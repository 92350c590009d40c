"""Provider users: creating one, and the one-time link with which it sets its password."""

import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notification.models import ServiceProvider

from .models import ProviderUser


class UserExists(Exception):
    pass


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def create_provider_user(provider: ServiceProvider, email: str) -> ProviderUser:
    """A user of `provider` with no password yet: it sets one through set_password_path."""
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError("メールアドレスの形式が正しくありません。") from exc
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(username=email).exists():
            raise UserExists(f"{email} は既に登録されています。")
        user = User(username=email, email=email, is_staff=False, is_superuser=False)
        user.set_unusable_password()
        user.save()
        return ProviderUser.objects.create(user=user, provider=provider)


def set_password_path(user) -> str:
    """The path of the page that sets `user`'s password. One-time: the token is made from the
    password's hash and the last login, so it stops working once either changes, and after
    PASSWORD_RESET_TIMEOUT in any case."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("console:set_password", args=[uid, token])


def provider_user_of(user) -> ProviderUser | None:
    """The user's provider account, if it is one (never for a staff user or a subscriber)."""
    if user is None or not user.is_authenticated or user.is_staff:
        return None
    try:
        return user.provider_user
    except ProviderUser.DoesNotExist:
        return None
