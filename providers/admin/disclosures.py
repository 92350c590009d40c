"""提供履歴: view-only, and it may hold millions of rows: every search goes through an index, only
the time column sorts, and the list never counts the whole table."""

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils import timezone
from django.utils.functional import cached_property

from notification.admin import ProviderColumnsMixin
from wso_portal.admin import (
    CheckedInputMixin,
    LineColumnsMixin,
    LineSearchMixin,
    ViewOnlyMixin,
    normalise_search_term,
)

from ..models import Disclosure
from .common import provider_lookup

# 「2026-04-01」「2026/4/1」「2026年4月1日」, alone or beside a number or a provider.
_DAY = re.compile(r"(?<![0-9])([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?![0-9])")


def _day(term: str) -> tuple[date | None, str]:
    """The day written in the term, if any, and what is left of the term without it."""
    match = _DAY.search(term)
    if match is None:
        return None, term
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None, term
    return day, (term[: match.start()] + term[match.end() :]).strip()


class LogPaginator(Paginator):
    """The whole log's count is PostgreSQL's estimate, the sum of its partitions' row counts
    (counting 100,000,000 rows takes seconds); a search or filter counts what it found."""

    ESTIMATE_FROM = 10_000  # rows: under that, an exact count is cheap

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT COALESCE(SUM(GREATEST(c.reltuples, 0)), 0)::bigint FROM pg_inherits i"
                    " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
                    [Disclosure._meta.db_table],
                )
                estimate = cursor.fetchone()[0]
            if estimate >= self.ESTIMATE_FROM:
                return estimate
        return super().count


@admin.register(Disclosure)
class DisclosureAdmin(
    CheckedInputMixin,
    ViewOnlyMixin,
    ProviderColumnsMixin,
    LineColumnsMixin,
    LineSearchMixin,
    admin.ModelAdmin,
):
    line_path = "line__"
    list_display = [
        "at",
        "line_flets_number",
        "line_customer_id",
        "provider_code",
        "provider_name",
        "address",
        "key_prefix",
    ]
    # Not date_hierarchy: its year and month links read the distinct dates of every row.
    list_filter = [("at", admin.DateFieldListFilter)]
    list_select_related = ["line", "provider", "key"]
    search_fields = ["line__flets_number", "line__customer_id", "provider__code", "provider__name"]
    search_help_text = (
        "フレッツナンバー、お客様ID、事業者コード、サービス提供者名または提供日 "
        "(例: 2026-04-01) で検索します。提供日は他の語と組み合わせられます "
        "(例: W0099 2026-04-01)。"
    )
    sortable_by = ["at"]  # the other columns would sort the whole log
    show_full_result_count = False
    paginator = LogPaginator
    fields = ["at", "line", "provider", "key", "address", "application"]

    def get_search_results(self, request, queryset, search_term):
        """A day uses the `at` index; a line's number its unique index, then (line, provider,
        at); a provider code or name the (provider, at) index. Never a scan of the log."""
        day, rest = _day(unicodedata.normalize("NFKC", search_term).strip())
        if day is not None:
            start = timezone.make_aware(datetime.combine(day, time.min))
            end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
            queryset = queryset.filter(at__gte=start, at__lt=end)
        term = normalise_search_term(rest)
        if not term:
            return queryset, False
        lookup = self.line_lookup(term)
        if lookup is not None:
            return queryset.filter(**lookup), False
        return queryset.filter(**provider_lookup(term)), False

    @admin.display(description="APIキー")
    def key_prefix(self, obj):
        return obj.key.display_prefix
