"""Operators' admin for providers' API keys and the disclosure log.

A key is issued on the 「APIキーを発行」 page (also reached from a provider's page), shown once in
the response to that POST, and only its hash is kept. Keys are never edited or deleted: an
operator revokes them, and the disclosures that name a key keep pointing at it.

The disclosure log is view-only and may hold millions of rows: every search goes through an
index, only the time column sorts, and the list never counts the whole table.
"""

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from notification.admin import ProviderColumnsMixin, ServiceProviderAdmin
from notification.models import ServiceProvider
from wso_portal.admin import (
    LineColumnsMixin,
    LineSearchMixin,
    ViewOnlyMixin,
    no_store,
    normalise_search_term,
)

from .models import KEY_PREFIX, LIVE_KEYS_PER_PROVIDER, Disclosure, ProviderKey
from .services import TooManyKeys, create_key, revoke_key

_PROVIDER_CODE = re.compile(r"[A-Z][0-9]{4}")
# 「2026-04-01」「2026/4/1」「2026年4月1日」, alone or beside a number or a provider.
_DAY = re.compile(r"(?<![0-9])([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?![0-9])")


def _provider_lookup(term: str) -> dict:
    """A provider code by its unique index; other words, the providers whose name has them."""
    if _PROVIDER_CODE.fullmatch(term):
        return {"provider__code": term}
    return {"provider__in": ServiceProvider.objects.filter(name__icontains=term).values("pk")}


# APIキー ---------------------------------------------------------------------------------------


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
class ProviderKeyAdmin(ProviderColumnsMixin, admin.ModelAdmin):
    """Issue, list and revoke; nothing else. Revoking needs the change permission on API keys,
    although the key's own fields can never be changed."""

    list_display = [
        "display_prefix",
        "provider_code",
        "provider_name",
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
        return queryset.filter(**_provider_lookup(term)), False

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

    def _page(self, request, template, title, **context):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            **context,
        }
        return no_store(TemplateResponse(request, template, context))


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


# 提供履歴 ----------------------------------------------------------------------------------------


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


@admin.register(Disclosure)
class DisclosureAdmin(
    ViewOnlyMixin, ProviderColumnsMixin, LineColumnsMixin, LineSearchMixin, admin.ModelAdmin
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
    fields = ["at", "line", "provider", "key", "address"]

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
        return queryset.filter(**_provider_lookup(term)), False

    @admin.display(description="APIキー")
    def key_prefix(self, obj):
        return obj.key.display_prefix
