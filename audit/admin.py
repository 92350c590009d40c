from django.contrib import admin

from wso_portal.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """View-only for everyone, superusers included: the log is written by the actions it
    records, never by hand."""

    list_display = ["at", "operator", "client_address", "action", "target_type", "target_repr"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["operator", "=target_id", "target_repr"]
    search_help_text = "運用者、操作 (例: 取消)、対象または対象IDで検索します。"
    show_full_result_count = False
    fields = [
        "at",
        "operator",
        "operator_pk",
        "client_address",
        "request_id",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "details",
    ]

    def get_search_results(self, request, queryset, search_term):
        """The fields above, or the operation by its Japanese name (「取消」, 「ログイン失敗」)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        actions = [
            value
            for value, label in AuditEntry.Action.choices
            if term and (term in label or term == value)
        ]
        if actions:
            found = found | queryset.filter(action__in=actions)
        return found, may_have_duplicates
