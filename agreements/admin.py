from django.contrib import admin
from django.db.models import Max

from wso_portal.admin import CheckedInputMixin, LineColumnsMixin, LineSearchMixin, ViewOnlyMixin

from .models import Acceptance, AgreementVersion


@admin.register(AgreementVersion)
class AgreementVersionAdmin(CheckedInputMixin, admin.ModelAdmin):
    """A version someone agreed to stays as it was: a change of text is a new version."""

    list_display = ["version", "title", "effective_from"]
    search_fields = ["title", "body"]
    date_hierarchy = "effective_from"
    frozen = ["version", "title", "body", "effective_from"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and (obj.acceptances.exists() or obj.applications.exists()):
            return self.frozen
        return []

    def get_changeform_initial_data(self, request):
        latest = AgreementVersion.objects.aggregate(m=Max("version"))["m"] or 0
        return {"version": latest + 1, **super().get_changeform_initial_data(request)}


@admin.register(Acceptance)
class AcceptanceAdmin(
    CheckedInputMixin, ViewOnlyMixin, LineColumnsMixin, LineSearchMixin, admin.ModelAdmin
):
    """Who agreed to which version, and when: recorded by the flows, never written by hand."""

    line_path = "line__"
    list_display = ["accepted_at", "line_flets_number", "line_customer_id", "version"]
    list_filter = ["version"]
    list_select_related = ["line", "version"]
    search_fields = ["line__flets_number", "line__customer_id"]
    search_help_text = "フレッツナンバーまたはお客様IDで検索します。"
    show_full_result_count = False
    date_hierarchy = "accepted_at"
