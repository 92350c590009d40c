from django.contrib import admin

from wso_portal.admin import LineSearchMixin

from .models import Acceptance, AgreementVersion


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "effective_from"]
    search_fields = ["title", "body"]
    date_hierarchy = "effective_from"


@admin.register(Acceptance)
class AcceptanceAdmin(LineSearchMixin, admin.ModelAdmin):
    line_path = "line__"
    list_display = ["accepted_at", "line_flets_number", "line_customer_id", "version"]
    list_filter = ["version"]
    list_select_related = ["line", "version"]
    search_fields = ["line__flets_number", "line__customer_id"]
    search_help_text = "フレッツナンバーまたはお客様IDで検索します。"
    show_full_result_count = False
    autocomplete_fields = ["line"]
    date_hierarchy = "accepted_at"

    @admin.display(description="フレッツナンバー", ordering="line__flets_number")
    def line_flets_number(self, obj):
        return obj.line.flets_number

    @admin.display(description="お客様ID", ordering="line__customer_id")
    def line_customer_id(self, obj):
        return obj.line.customer_id
