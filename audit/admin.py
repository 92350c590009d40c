from django.apps import apps
from django.contrib import admin

from wso_portal.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """View-only for everyone, superusers included: the log is written by the actions it
    records, never by hand."""

    # Few columns at 1280 px; the address, request and details are on the entry's page.
    list_display = ["at", "operator", "action", "target_kind", "target_repr"]
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
        "target_kind",
        "target_id",
        "target_repr",
        "details",
    ]

    readonly_fields = ["target_kind"]

    @admin.display(description="対象の種類", ordering="target_type")
    def target_kind(self, entry):
        """The model's Japanese name (回線), not its label (wso_portal.SubscriberLine)."""
        return target_kind_name(entry.target_type)

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


def target_kind_name(label: str) -> str:
    if not label:
        return "－"
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label  # a model since removed
