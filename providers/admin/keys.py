"""APIキー: issued on the 「APIキーを発行」 page (also reached from a provider's page), shown once
in the response to that POST, and only its hash kept. Keys are never edited or deleted: an operator
revokes them, and the disclosures that name a key keep pointing at it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from audit import services as audit
from audit.models import AuditEntry
from notification.admin import ProviderColumnsMixin, ServiceProviderAdmin
from notification.models import ServiceProvider
from wso_portal.admin import (
    CheckedInputMixin,
    ViewOnlyMixin,
    normalise_search_term,
)

from ..models import (
    KEY_PREFIX,
    LIVE_KEYS_PER_PROVIDER,
    Endpoint,
    ProviderKey,
)
from ..services import TooManyKeys, create_key, revoke_key
from .common import StepPageMixin, provider_lookup


class LiveFilter(admin.SimpleListFilter):
    title = "状態"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("yes", "有効"), ("no", "失効済み")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class IssueKeyForm(forms.Form):
    provider = forms.ModelChoiceField(
        label="サービス提供者",
        queryset=ServiceProvider.objects.order_by("code"),
        help_text=(
            f"有効なAPIキーは1社につき{LIVE_KEYS_PER_PROVIDER}つまでです "
            "(切替えの間、新旧のキーを併用するため)。"
        ),
        error_messages={"required": "サービス提供者を選んでください。"},
    )


@admin.register(ProviderKey)
class ProviderKeyAdmin(CheckedInputMixin, StepPageMixin, ProviderColumnsMixin, admin.ModelAdmin):
    """Issue, list and revoke; nothing else. Revoking needs the change permission on API keys,
    although the key's own fields can never be changed."""

    # What fits 1280 px; the provider's name is on the key's page.
    list_display = [
        "display_prefix",
        "provider_code",
        "created_at",
        "last_used_at",
        "revoked_at",
        "is_live",
    ]
    list_filter = [LiveFilter]
    list_select_related = ["provider"]
    search_fields = ["provider__code", "provider__name", "display_prefix"]
    search_help_text = "事業者コード、サービス提供者名またはキーの先頭 (wso_…) で検索します。"
    fields = ["provider", "display_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("providers.change_providerkey")

    def get_search_results(self, request, queryset, search_term):
        term = normalise_search_term(search_term)
        if not term:
            return queryset, False
        if term.startswith(KEY_PREFIX):
            return queryset.filter(display_prefix__startswith=term), False
        return queryset.filter(**provider_lookup(term)), False

    @admin.display(description="有効", boolean=True)
    def is_live(self, obj):
        return obj.is_live

    def get_urls(self):
        revoke = path(
            "<int:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_revoke",
        )
        return [revoke, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_revoke": self.has_revoke_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    # Issuing: this page replaces the model form, since the key is made by the service.

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueKeyForm(
            request.POST if request.method == "POST" else None,
            initial={"provider": request.GET.get("provider")},
        )
        if form.is_valid():
            provider = form.cleaned_data["provider"]
            try:
                with transaction.atomic():
                    key, plain = create_key(provider)
                    audit.record(
                        request, AuditEntry.Action.ISSUE_API_KEY, key, provider=provider.code
                    )
                    self.log_addition(request, key, [{"added": {}}])
            except TooManyKeys as exc:
                form.add_error("provider", str(exc))
            else:
                # Shown in this response only, never put into the session or a message.
                return self._page(
                    request,
                    "admin/providers/key_issued.html",
                    "APIキーを発行しました",
                    key=key,
                    plain_key=plain,
                )
        return self._page(
            request,
            "admin/providers/issue_key.html",
            "APIキーの発行",
            form=form,
            **(extra_context or {}),
        )

    # Revoking: the list's action or the button on a key's page, each behind a confirmation.

    @admin.action(description="選択されたAPIキーを失効", permissions=["revoke"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True).select_related("provider"))
        if not keys:
            self.message_user(request, "選択されたAPIキーは既に失効しています。", messages.WARNING)
            return None
        if request.POST.get("confirm") != "yes":
            return self._page(
                request,
                "admin/providers/revoke_confirm.html",
                "APIキーの失効",
                keys=keys,
                action_name="revoke",
                action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
            )
        self._revoke(request, keys)
        return None

    def revoke_view(self, request, object_id):
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        key = self.get_object(request, object_id)
        if key is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        key_page = reverse("admin:providers_providerkey_change", args=[key.pk])
        if not key.is_live:
            self.message_user(request, "このAPIキーは既に失効しています。", messages.WARNING)
            return HttpResponseRedirect(key_page)
        if request.method != "POST" or request.POST.get("confirm") != "yes":
            return self._page(
                request, "admin/providers/revoke_confirm.html", "APIキーの失効", keys=[key]
            )
        self._revoke(request, [key])
        return HttpResponseRedirect(key_page)

    def _revoke(self, request, keys):
        revoked = [key for key in keys if revoke_key(key)]
        for key in revoked:
            audit.record(request, AuditEntry.Action.REVOKE_API_KEY, key, provider=key.provider.code)
            self.log_change(request, key, "失効させました")
        if revoked:
            prefixes = "、".join(f"{key.provider.code} {key.display_prefix}…" for key in revoked)
            self.message_user(
                request,
                f"APIキーを失効させました ({len(revoked)}件): {prefixes}",
                messages.SUCCESS,
            )
        if len(revoked) < len(keys):
            self.message_user(request, "既に失効していたAPIキーがあります。", messages.WARNING)


class ProviderKeyInline(ViewOnlyMixin, admin.TabularInline):
    """A provider's keys on its page; each opens the key's page, where it can be revoked."""

    model = ProviderKey
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["display_prefix", "created_at", "last_used_at", "revoked_at", "is_live"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row's title is its __str__, which names the provider.
        return super().get_queryset(request).select_related("provider")

    @admin.display(description="有効", boolean=True)
    def is_live(self, obj):
        return obj.is_live


# The provider's page, as notification.admin defines it, with its keys and a button to issue one.
# notification does not know about providers; this app adds to its admin instead.
admin.site.unregister(ServiceProvider)


@admin.register(ServiceProvider)
class ServiceProviderWithKeysAdmin(ServiceProviderAdmin):
    inlines = [*ServiceProviderAdmin.inlines, ProviderKeyInline]
    change_form_template = "admin/providers/serviceprovider_change_form.html"

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new provider has no keys yet

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_issue_key": request.user.has_perm("providers.add_providerkey"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "webhook_endpoint"] if obj is not None else readonly

    @admin.display(description="通知先URL (即時通知)")
    def webhook_endpoint(self, obj):
        endpoint = Endpoint.objects.filter(provider=obj).first()
        if endpoint is None:
            return format_html(
                '未登録 (<a href="{}?provider={}">通知先URLを登録</a>)',
                reverse("admin:providers_endpoint_add"),
                obj.pk,
            )
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:providers_endpoint_change", args=[endpoint.pk]),
            endpoint.url,
        )
