import re
import unicodedata

from django import forms
from django.contrib import admin, messages

from audit import services as audit
from audit.models import AuditEntry
from wso_portal.admin import (
    CheckedInputMixin,
    LineColumnsMixin,
    LineSearchMixin,
    ViewOnlyMixin,
    normalise_search_term,
)

from .models import (
    PROVIDER_CODE_PATTERN,
    Application,
    ApplicationEvent,
    ApplicationItem,
    BlockedMailDomain,
    NotificationSetting,
    ServiceProvider,
)
from .work import MailNotRetryable, NotOpen, apply_now, cancel_application, retry_mail


class ServiceProviderForm(forms.ModelForm):
    class Meta:
        model = ServiceProvider
        fields = ["code", "name", "service_name", "active"]

    def clean_code(self):
        code = unicodedata.normalize("NFKC", self.cleaned_data["code"]).strip().upper()
        if not re.fullmatch(PROVIDER_CODE_PATTERN, code):
            raise forms.ValidationError("事業者コードは英大文字1字と数字4桁です (例: W0099)。")
        return code


class BlockedMailDomainForm(forms.ModelForm):
    class Meta:
        model = BlockedMailDomain
        fields = ["domain", "note"]

    def clean_domain(self):
        domain = self.cleaned_data["domain"].strip().lower().lstrip("@")
        if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", domain):
            raise forms.ValidationError("ドメインは「docomo.ne.jp」のように入力してください。")
        return domain


class ProviderColumnsMixin:
    """The provider's code and name as list columns of a model pointing at a provider."""

    @admin.display(description="事業者コード", ordering="provider__code")
    def provider_code(self, obj):
        return obj.provider.code

    @admin.display(description="サービス提供者名", ordering="provider__name")
    def provider_name(self, obj):
        return obj.provider.name


@admin.register(ServiceProvider)
class ServiceProviderAdmin(CheckedInputMixin, admin.ModelAdmin):
    form = ServiceProviderForm
    list_display = ["code", "name", "service_name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name", "service_name"]
    search_help_text = "事業者コード、サービス提供者名またはサービス名で検索します。"

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_search_term(search_term))


@admin.register(NotificationSetting)
class NotificationSettingAdmin(
    CheckedInputMixin, ProviderColumnsMixin, LineColumnsMixin, LineSearchMixin, admin.ModelAdmin
):
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
    list_filter = ["notify"]  # not set_via: listing its values reads every setting
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
    # The unique (line, provider) index gives this order without sorting millions of rows.
    ordering = ["line_id", "provider_id"]

    def get_search_results(self, request, queryset, search_term):
        """A number finds the line's settings, a provider code the provider's, other words
        the providers whose name contains them: each through an index, whatever the size."""
        term = normalise_search_term(search_term)
        if not term:
            return queryset, False
        if re.fullmatch(r"[A-Z][0-9]{4}", term):
            return queryset.filter(provider__code=term), False
        lookup = self.line_lookup(term)
        if lookup is not None:
            return queryset.filter(**lookup), False
        providers = ServiceProvider.objects.filter(name__icontains=term).values("pk")
        return queryset.filter(provider__in=providers), False


@admin.register(BlockedMailDomain)
class BlockedMailDomainAdmin(CheckedInputMixin, admin.ModelAdmin):
    form = BlockedMailDomainForm
    list_display = ["domain", "note"]
    search_fields = ["domain", "note"]


# 申込 (Application, ApplicationItem, ApplicationEvent) are registered below.


# 申込 -------------------------------------------------------------------------------------------
# Operators look, and act only through the 工事 services (notification.work): nobody edits an
# applicant's data or a state by hand.

_RECEIPT_NUMBER = re.compile(r"[0-9]{8}-?[0-9]{6}")


class _ReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class ApplicationItemInline(_ReadOnlyInline):
    model = ApplicationItem
    fields = ["provider_code", "provider_name", "provider_service_name", "is_open"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row's title is its __str__, which names the application.
        return super().get_queryset(request).select_related("application", "provider")

    @admin.display(description="事業者コード")
    def provider_code(self, obj):
        return obj.provider.code

    @admin.display(description="サービス提供者名")
    def provider_name(self, obj):
        return obj.provider.name

    @admin.display(description="サービス名")
    def provider_service_name(self, obj):
        return obj.provider.service_name


class ApplicationEventInline(_ReadOnlyInline):
    model = ApplicationEvent
    fields = ["state", "at", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application")


@admin.register(Application)
class ApplicationAdmin(
    CheckedInputMixin, ViewOnlyMixin, LineColumnsMixin, LineSearchMixin, admin.ModelAdmin
):
    """View only: the pages show everything read-only; the actions below are the only writes."""

    line_path = "line__"
    # What fits 1280 px; the フレッツナンバー and 工事予定日時 are on the application's page.
    list_display = [
        "receipt_number",
        "line_customer_id",
        "direction",
        "state",
        "received_at",
        "mail_state",
    ]
    list_filter = [
        "state",
        "direction",
        "mail_state",
        ("received_at", admin.DateFieldListFilter),
        ("due_at", admin.DateFieldListFilter),
    ]
    date_hierarchy = "received_at"
    list_select_related = ["line"]
    search_fields = ["receipt_number"]
    search_help_text = "受付番号、フレッツナンバーまたはお客様IDで検索します。"
    show_full_result_count = False
    inlines = [ApplicationItemInline, ApplicationEventInline]
    actions = ["cancel", "apply_now", "retry_mail"]
    fieldsets = [
        (
            "申込",
            {
                "fields": [
                    "receipt_number",
                    "line",
                    "direction",
                    "state",
                    "received_at",
                    "due_at",
                    "started_at",
                    "completed_at",
                    "failed_at",
                    "failure_reason",
                    "cancelled_at",
                ]
            },
        ),
        (
            "申込者情報",
            {
                "fields": [
                    "applicant_name",
                    "applicant_phone",
                    "applicant_email",
                    "wants_completion_mail",
                    "agreement_version",
                    "agreed_at",
                ]
            },
        ),
        (
            "工事完了通知メール",
            {
                "fields": [
                    "mail_state",
                    "mail_attempts",
                    "mail_next_attempt_at",
                    "mail_sent_at",
                    "mail_last_error",
                ]
            },
        ),
    ]

    def has_operate_permission(self, request):
        return request.user.has_perm("notification.change_application")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line", "agreement_version")

    def get_search_results(self, request, queryset, search_term):
        term = normalise_search_term(search_term)
        if _RECEIPT_NUMBER.fullmatch(term):
            return queryset.filter(receipt_number=f"{term[:8]}-{term[-6:]}"), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="選択された申込を取消", permissions=["operate"])
    def cancel(self, request, queryset):
        self._each(
            request,
            queryset,
            cancel_application,
            "申込を取消しました",
            AuditEntry.Action.CANCEL_APPLICATION,
        )

    @admin.action(description="選択された申込を今すぐ工事", permissions=["operate"])
    def apply_now(self, request, queryset):
        self._each(request, queryset, apply_now, "工事を完了しました", AuditEntry.Action.APPLY_NOW)

    @admin.action(description="選択された申込の完了通知メールを再送", permissions=["operate"])
    def retry_mail(self, request, queryset):
        self._each(
            request,
            queryset,
            retry_mail,
            "完了通知メールを送信待ちに戻しました",
            AuditEntry.Action.RETRY_MAIL,
        )

    def _each(self, request, queryset, service, done, action):
        by = request.user.get_username()
        succeeded, failed = [], []
        for pk in queryset.values_list("pk", flat=True):
            try:
                application = service(pk, by=by)
            except (NotOpen, MailNotRetryable) as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            audit.record(
                request,
                action,
                application,
                state=application.state,
                mail_state=application.mail_state,
            )
            self.log_change(request, application, done)
            if application.state == Application.State.FAILED:
                failed.append(application)
            else:
                succeeded.append(application.receipt_number)
        if succeeded:
            numbers = "、".join(succeeded)
            self.message_user(request, f"{done} ({len(succeeded)}件): {numbers}", messages.SUCCESS)
        for application in failed:
            self.message_user(
                request,
                f"受付番号 {application.receipt_number} は工事に失敗しました: "
                f"{application.failure_reason}",
                messages.ERROR,
            )
