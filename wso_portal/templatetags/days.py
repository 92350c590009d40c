"""`day`: a date, or a moment shown as its date (Asia/Tokyo), as the `date` filter writes it, but
formatted once per date, format and language. Django's DateFormat took some 40 µs a call, most of
ご利用状況詳細's table of settings; a line's settings share a few dates."""

from datetime import date, datetime
from functools import lru_cache

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

register = template.Library()


@register.filter
def day(value: date | datetime | None, format_string: str) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return _formatted(value, format_string, get_language())


@lru_cache(maxsize=4096)
def _formatted(value: date, format_string: str, language: str) -> str:
    return formats.date_format(value, format_string)
