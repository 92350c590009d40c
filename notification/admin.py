from django.contrib import admin

from wso_portal.admin import LineSearchMixin, normalise_search_term

from .models import BlockedMailDomain, NotificationSetting, ServiceProvider


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "service_name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name", "service_name"]
    search_help_text = "事業者コード、サービス提供者名またはサービス名で検索します。"

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_search_term(search_term))


@admin.register(NotificationSetting)
class NotificationSettingAdmin(LineSearchMixin, admin.ModelAdmin):
    line_path = "line__"
    list_display = [
        "line_flets_number",
        "line_customer_id",
        "provider_code",
        "provider_name",
        "notify",
        "set_at",
        "set_via",
    ]
    list_filter = ["notify", "set_via"]
    list_select_related = ["line", "provider"]
    search_fields = [
        "line__flets_number",
        "line__customer_id",
        "provider__code",
        "provider__name",
    ]
    search_help_text = (
        "フレッツナンバー、お客様ID、事業者コードまたはサービス提供者名で検索します。"
    )
    show_full_result_count = False
    autocomplete_fields = ["line", "provider"]
    ordering = ["line__flets_number", "provider__code"]

    @admin.display(description="フレッツナンバー", ordering="line__flets_number")
    def line_flets_number(self, obj):
        return obj.line.flets_number

    @admin.display(description="お客様ID", ordering="line__customer_id")
    def line_customer_id(self, obj):
        return obj.line.customer_id

    @admin.display(description="事業者コード", ordering="provider__code")
    def provider_code(self, obj):
        return obj.provider.code

    @admin.display(description="サービス提供者名", ordering="provider__name")
    def provider_name(self, obj):
        return obj.provider.name


@admin.register(BlockedMailDomain)
class BlockedMailDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "note"]
    search_fields = ["domain", "note"]


# 申込 (Application, ApplicationItem, ApplicationEvent) are registered below.
