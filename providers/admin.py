"""Operators' admin for providers' API keys, the disclosure log and 即時通知 (webhooks).

A key is issued on the 「APIキーを発行」 page (also reached from a provider's page), shown once in
the response to that POST, and only its hash is kept. Keys are never edited or deleted: an
operator revokes them, and the disclosures that name a key keep pointing at it.

The disclosure log is view-only and may hold millions of rows: every search goes through an
index, only the time column sorts, and the list never counts the whole table.

A provider's 通知先URL is checked (https, public addresses) when an operator registers it; its
signing secret, like a key, is shown once in the response that made it (on registration and on
「署名鍵を更新」), then only by its first characters. Events are view-only; 「再送」 hands one
back to the worker, and 「テスト送信」 posts a test event while the operator waits.
"""

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from audit import services as audit
from audit.models import AuditEntry
from notification.admin import ProviderColumnsMixin, ServiceProviderAdmin
from notification.models import ServiceProvider
from wso_portal.admin import (
    CheckedInputMixin,
    LineColumnsMixin,
    LineSearchMixin,
    ViewOnlyMixin,
    no_store,
    normalise_search_term,
)

from .models import (
    KEY_PREFIX,
    LIVE_KEYS_PER_PROVIDER,
    DeliveryAttempt,
    Disclosure,
    Endpoint,
    EndpointSecret,
    ProviderKey,
    WebhookEvent,
)
from .services import TooManyKeys, create_key, revoke_key
from .webhooks import UnsafeURL, check_url, redeliver, register_endpoint, rotate_secret, send_test

_PROVIDER_CODE = re.compile(r"[A-Z][0-9]{4}")
# 「2026-04-01」「2026/4/1」「2026年4月1日」, alone or beside a number or a provider.
_DAY = re.compile(r"(?<![0-9])([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?![0-9])")


def _provider_lookup(term: str) -> dict:
    """A provider code by its unique index; other words, the providers whose name has them."""
    if _PROVIDER_CODE.fullmatch(term):
        return {"provider__code": term}
    return {"provider__in": ServiceProvider.objects.filter(name__icontains=term).values("pk")}


class StepPageMixin:
    """An admin step of its own (templates/admin/step_page.html), never cached: a secret shown
    once, or a confirmation."""

    def _page(self, request, template, title, **context):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            **context,
        }
        return no_store(TemplateResponse(request, template, context))


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
class ProviderKeyAdmin(CheckedInputMixin, StepPageMixin, ProviderColumnsMixin, admin.ModelAdmin):
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


# 通知先URL (即時通知) -----------------------------------------------------------------------------

SECRET_SHOWN = 10  # 「whsec_」 and 4 characters: enough to tell two secrets apart, never to sign


def _secret_prefix(secret: EndpointSecret) -> str:
    return f"{secret.secret[:SECRET_SHOWN]}…"


def _local(moment) -> str:
    return formats.localize(timezone.localtime(moment)) if moment else "-"


def _duration(seconds: int) -> str:
    for unit, name in ((86400, "日"), (3600, "時間"), (60, "分")):
        if seconds >= unit and seconds % unit == 0:
            return f"{seconds // unit}{name}"
    return f"{seconds}秒"


def _live_secrets(now):
    return EndpointSecret.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="通知先URL",
        max_length=500,
        assume_scheme="https",
        help_text=(
            "https:// で始まり、インターネット上の公開アドレスを指すURLです。"
            "登録のときと送信のたびに確かめます。"
        ),
    )

    class Meta:
        model = Endpoint
        fields = ["provider", "url"]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            check_url(url)
        except UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


class EndpointSecretInline(ViewOnlyMixin, admin.TabularInline):
    """The endpoint's signing secrets by their first characters and dates, never in full."""

    model = EndpointSecret
    extra = 0
    can_delete = False
    fields = ["secret_prefix", "created_at", "expires_at", "is_live"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint__provider")  # __str__

    @admin.display(description="署名鍵 (先頭)")
    def secret_prefix(self, obj):
        return _secret_prefix(obj)

    @admin.display(description="署名に使用", boolean=True)
    def is_live(self, obj):
        return obj.expires_at is None or obj.expires_at > timezone.now()


@admin.register(Endpoint)
class EndpointAdmin(CheckedInputMixin, StepPageMixin, ProviderColumnsMixin, admin.ModelAdmin):
    """One URL per provider. Registering it makes its first signing secret, shown once;
    「署名鍵を更新」 makes another, shown once, while the old one keeps signing for a while."""

    form = EndpointForm
    list_display = ["provider_code", "provider_name", "url", "live_secrets", "created_at"]
    list_select_related = ["provider"]
    search_fields = ["provider__code", "provider__name", "url"]
    search_help_text = "事業者コード、サービス提供者名または通知先URLで検索します。"
    autocomplete_fields = ["provider"]
    inlines = [EndpointSecretInline]
    actions = ["rotate_secrets", "send_test_events"]

    def get_queryset(self, request):
        live = _live_secrets(timezone.now()).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("secrets", queryset=live, to_attr="signing"))
        )

    def get_fields(self, request, obj=None):
        return ["provider", "url", "created_at"] if obj is not None else ["provider", "url"]

    def get_readonly_fields(self, request, obj=None):
        # The secrets belong to the provider: a URL is changed, never moved to another provider.
        return ["provider", "created_at"] if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_rotate_permission(self, request):
        return request.user.has_perm("providers.change_endpoint")

    def has_test_permission(self, request):
        return request.user.has_perm("providers.change_endpoint")

    @admin.display(description="署名に使う鍵")
    def live_secrets(self, obj):
        return format_html_join(
            mark_safe("<br>"),
            "{} (発行 {})",
            ((_secret_prefix(secret), _local(secret.created_at)) for secret in obj.signing),
        )

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<int:object_id>/rotate/",
                self.admin_site.admin_view(self.rotate_view),
                name=f"{info}_rotate",
            ),
            path(
                "<int:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name=f"{info}_test",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_rotate": self.has_rotate_permission(request),
            "can_test": self.has_test_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # Registering: the service makes the endpoint and its secret; the secret is in this
    # response only, never in the session, a message or the admin log.

    def save_model(self, request, obj, form, change):
        endpoint, secret = register_endpoint(obj.provider, obj.url)
        obj.pk, obj.created_at = endpoint.pk, endpoint.created_at
        obj.issued_secret = secret
        if change:
            audit.record(
                request,
                AuditEntry.Action.CHANGE_ENDPOINT,
                endpoint,
                provider=endpoint.provider.code,
                url_before=form.initial.get("url"),
                url=endpoint.url,
            )
        else:
            audit.record(
                request,
                AuditEntry.Action.REGISTER_ENDPOINT,
                endpoint,
                provider=endpoint.provider.code,
                url=endpoint.url,
            )

    def response_add(self, request, obj, post_url_continue=None):
        return self._secrets_page(
            request, "通知先URLを登録しました", [(obj, obj.issued_secret)], overlap_ends=None
        )

    # 署名鍵を更新: the list's action or the button on an endpoint's page, behind a confirmation.

    @admin.action(description="署名鍵を更新", permissions=["rotate"])
    def rotate_secrets(self, request, queryset):
        endpoints = list(queryset.select_related("provider"))
        if request.POST.get("confirm") != "yes":
            return self._page(
                request,
                "admin/providers/rotate_confirm.html",
                "署名鍵の更新",
                endpoints=endpoints,
                overlap=_duration(settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS),
                action_name="rotate_secrets",
                action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
            )
        return self._rotate(request, endpoints)

    def rotate_view(self, request, object_id):
        if not self.has_rotate_permission(request):
            raise PermissionDenied
        endpoint = self.get_object(request, object_id)
        if endpoint is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        if request.method != "POST" or request.POST.get("confirm") != "yes":
            return self._page(
                request,
                "admin/providers/rotate_confirm.html",
                "署名鍵の更新",
                endpoints=[endpoint],
                overlap=_duration(settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS),
            )
        return self._rotate(request, [endpoint])

    def _rotate(self, request, endpoints):
        now = timezone.now()
        issued = []
        with transaction.atomic():
            for endpoint in endpoints:
                issued.append((endpoint, rotate_secret(endpoint, now=now)))
                audit.record(
                    request,
                    AuditEntry.Action.ROTATE_SECRET,
                    endpoint,
                    provider=endpoint.provider.code,
                )
                self.log_change(request, endpoint, "署名鍵を更新しました")
        overlap_ends = now + timedelta(seconds=settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS)
        return self._secrets_page(
            request, "署名鍵を更新しました", issued, overlap_ends=overlap_ends
        )

    def _secrets_page(self, request, title, issued, *, overlap_ends):
        return self._page(
            request,
            "admin/providers/secret_issued.html",
            title,
            issued=issued,
            overlap_ends=overlap_ends,
        )

    # テスト送信: one `test` event, posted while the operator waits.

    @admin.action(description="テスト送信", permissions=["test"])
    def send_test_events(self, request, queryset):
        for endpoint in queryset.select_related("provider"):
            self._send_test(request, endpoint)

    def test_view(self, request, object_id):
        if not self.has_test_permission(request):
            raise PermissionDenied
        endpoint = self.get_object(request, object_id)
        if endpoint is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        if request.method != "POST":
            return self._page(
                request, "admin/providers/test_confirm.html", "テスト送信", endpoint=endpoint
            )
        self._send_test(request, endpoint)
        return HttpResponseRedirect(reverse("admin:providers_endpoint_change", args=[endpoint.pk]))

    def _send_test(self, request, endpoint):
        attempt = send_test(endpoint)
        if attempt.succeeded:
            outcome = f"ステータス {attempt.status_code}、{attempt.latency_ms}ミリ秒"
            self.message_user(
                request,
                f"{endpoint.provider.code} へテスト送信しました ({outcome})。",
                messages.SUCCESS,
            )
        else:
            outcome = f"{attempt.error}、{attempt.latency_ms}ミリ秒"
            self.message_user(
                request,
                f"{endpoint.provider.code} へのテスト送信は失敗しました ({outcome})。",
                messages.ERROR,
            )
        audit.record(
            request,
            AuditEntry.Action.SEND_TEST,
            endpoint,
            provider=endpoint.provider.code,
            succeeded=attempt.succeeded,
            status_code=attempt.status_code,
            error=attempt.error,
        )
        self.log_change(request, endpoint, f"テスト送信しました ({outcome})")


# 即時通知 (events) --------------------------------------------------------------------------------


class DeliveryAttemptInline(ViewOnlyMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["at", "status_code", "latency_ms", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")  # each row's title


@admin.register(WebhookEvent)
class WebhookEventAdmin(
    CheckedInputMixin, ViewOnlyMixin, ProviderColumnsMixin, LineSearchMixin, admin.ModelAdmin
):
    """Every event with its attempts; failed ones one click away; 「再送」 hands one back to the
    worker. View-only, yet 再送 needs the change permission on events."""

    line_path = "line__"
    list_display = [
        "created_at",
        "provider_code",
        "line_flets_number",
        "line_customer_id",
        "type",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state", "type"]
    list_select_related = ["provider", "line"]
    search_fields = ["line__flets_number", "line__customer_id", "provider__code", "webhook_id"]
    search_help_text = (
        "フレッツナンバー、お客様ID、事業者コード、サービス提供者名またはwebhook-id (msg_…) "
        "で検索します。"
    )
    sortable_by = ["created_at"]
    show_full_result_count = False
    fields = [
        "webhook_id",
        "type",
        "state",
        "provider",
        "line",
        "application_item",
        "data",
        "created_at",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "delivered_at",
        "last_error",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver_events"]

    def has_redeliver_permission(self, request):
        return request.user.has_perm("providers.change_webhookevent")

    def get_search_results(self, request, queryset, search_term):
        """A webhook-id or a line's number by its unique index, a provider code by its own:
        never a scan of the events."""
        term = normalise_search_term(search_term)
        if not term:
            return queryset, False
        if term.startswith("msg_"):
            return queryset.filter(webhook_id=term), False
        lookup = self.line_lookup(term)
        if lookup is not None:
            return queryset.filter(**lookup), False
        return queryset.filter(**_provider_lookup(term)), False

    @admin.display(description="フレッツナンバー")
    def line_flets_number(self, obj):
        return obj.line.flets_number if obj.line else None  # a テスト送信 has no line

    @admin.display(description="お客様ID")
    def line_customer_id(self, obj):
        return obj.line.customer_id if obj.line else None

    def get_urls(self):
        redeliver_url = path(
            "<int:object_id>/redeliver/",
            self.admin_site.admin_view(self.redeliver_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_redeliver",
        )
        return [redeliver_url, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_redeliver": self.has_redeliver_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="再送", permissions=["redeliver"])
    def redeliver_events(self, request, queryset):
        self._redeliver(request, list(queryset.select_related("provider")))

    def redeliver_view(self, request, object_id):
        if not self.has_redeliver_permission(request):
            raise PermissionDenied
        event = self.get_object(request, object_id)
        if event is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        if request.method == "POST":
            self._redeliver(request, [event])
        return HttpResponseRedirect(reverse("admin:providers_webhookevent_change", args=[event.pk]))

    def _redeliver(self, request, events):
        now = timezone.now()
        with transaction.atomic():
            for event in events:
                redeliver(event, now=now)
                audit.record(
                    request,
                    AuditEntry.Action.REDELIVER_EVENT,
                    event,
                    provider=event.provider.code,
                    state_before=event.state,
                )
                self.log_change(request, event, "再送を指示しました")
        self.message_user(
            request,
            f"{len(events)}件の即時通知を再送待ちにしました。ワーカーが次の巡回 "
            f"({settings.WSO_WORKER_POLL_SECONDS}秒以内) で送信します。",
            messages.SUCCESS,
        )
