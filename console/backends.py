"""Provider users log in with e-mail address + password, on the console's login only: this
backend answers only to `email=`, which neither the portal's nor the admin's login sends, and
the admin's StaffBackend refuses them (they are never staff)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .services import normalise_email


class ProviderUserBackend(ModelBackend):
    def authenticate(self, request, email=None, password=None, **kwargs):
        if not email or password is None:
            return None
        user = (
            get_user_model()
            ._default_manager.filter(
                username=normalise_email(email), is_staff=False, provider_user__isnull=False
            )
            .first()
        )
        if user is None:
            get_user_model()().set_password(password)  # as slow as a known account
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
