"""即時通知: a provider's 通知先URL is checked (https, public addresses) when an operator
registers it; its signing secret, like a key, is shown once in the response that made it (on
registration and on 「署名鍵を更新」), then only by its first characters. Events are view-only;
「再送」 hands one back to the worker, and 「テスト送信」 posts a test event while the operator
waits."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from audit import services as audit
from audit.models import AuditEntry
from notification.admin import ProviderColumnsMixin
from wso_portal.admin import (
    CheckedInputMixin,
    LineSearchMixin,
    ViewOnlyMixin,
    normalise_search_term,
)

from ..models import (
    DeliveryAttempt,
    Endpoint,
    EndpointSecret,
    WebhookEvent,
)
from ..webhooks import (
    UnsafeURL,
    check_url,
    redeliver,
    register_endpoint,
    resume_endpoint,
    rotate_secret,
    send_test,
)
from .common import StepPageMixin, provider_lookup

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
    list_display = [
        "provider_code",
        "provider_name",
        "url",
        "live_secrets",
        "created_at",
        "failing_since",
        "disabled_at",
    ]
    list_select_related = ["provider"]
    search_fields = ["provider__code", "provider__name", "url"]
    search_help_text = "事業者コード、サービス提供者名または通知先URLで検索します。"
    autocomplete_fields = ["provider"]
    inlines = [EndpointSecretInline]
    actions = ["rotate_secrets", "send_test_events", "resume_endpoints"]

    def get_queryset(self, request):
        live = _live_secrets(timezone.now()).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("secrets", queryset=live, to_attr="signing"))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["provider", "url"]
        return ["provider", "url", "created_at", "failing_since", "disabled_at"]

    def get_readonly_fields(self, request, obj=None):
        # The secrets belong to the provider: a URL is changed, never moved to another provider.
        return ["provider", "created_at", "failing_since", "disabled_at"] if obj is not None else []

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

    # 再開: a disabled endpoint (every attempt failed for 5 days) is sent to again.

    @admin.action(description="送信を再開 (停止中の通知先URL)", permissions=["rotate"])
    def resume_endpoints(self, request, queryset):
        resumed = 0
        for endpoint in queryset.filter(disabled_at__isnull=False).select_related("provider"):
            with transaction.atomic():
                pending = resume_endpoint(endpoint)
                audit.record(
                    request,
                    AuditEntry.Action.RESUME_ENDPOINT,
                    endpoint,
                    provider=endpoint.provider.code,
                    pending=pending,
                )
                self.log_change(request, endpoint, f"送信を再開しました (送信待ち {pending}件)")
            resumed += 1
        self.message_user(
            request, f"{resumed}件の通知先URLへの送信を再開しました。", messages.SUCCESS
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
    # What fits 1280 px; the フレッツナンバー is on the event's page.
    list_display = [
        "created_at",
        "provider_code",
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
        return queryset.filter(**provider_lookup(term)), False

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
