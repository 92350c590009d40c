"""What the providers' commands share."""

import unicodedata

from django.core.management.base import CommandError

from notification.models import ServiceProvider


def provider_from_argument(code: str) -> ServiceProvider:
    """The provider a command names by its code, as typed (full-width, lower case)."""
    normalised = unicodedata.normalize("NFKC", code).strip().upper()
    try:
        return ServiceProvider.objects.get(code=normalised)
    except ServiceProvider.DoesNotExist:
        raise CommandError(
            f"事業者コード「{code}」のサービス提供者は登録されていません。"
        ) from None
