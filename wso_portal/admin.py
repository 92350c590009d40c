"""Operators' admin for lines, services, announcements and logins.

An access key is never shown or stored in plain text: it is generated when a line is created
or by the 「アクセスキーを再発行」 action, shown once in the response to that POST, and only its
hash is kept (the line's User password).
"""

import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import services as audit
from audit.models import AuditEntry

from .access_keys import create_line_user, reset_access_key
from .forms import OperatorLoginForm
from .login import normalise
from .models import (
    Announcement,
    Lockout,
    LoginAttempt,
    Service,
    ServiceContract,
    SubscriberLine,
)

User = get_user_model()


class OperatorAdminSite(OTPAdminSite):
    """The admin's login goes through the portal's lockout and login rate (OperatorLoginForm);
    with WSO_ADMIN_REQUIRE_MFA on, only operators verified by their TOTP code get in."""

    login_form = OperatorLoginForm
    login_template = "admin/login.html"

    def has_permission(self, request):
        if settings.WSO_ADMIN_REQUIRE_MFA:
            return super().has_permission(request)  # and request.user.is_verified()
        return admin.AdminSite.has_permission(self, request)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if getattr(form, "rate_limited", False):
            response.status_code = 429
        return response


# The default site, which every app registers with, becomes the operators' site in place:
# the same instance, registry and URLs.
admin.site.__class__ = OperatorAdminSite
# Operators enrol with `manage.py operator_totp`, which shows the secret once; the admin would
# show it again (QR code) to anyone with the change permission.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


def normalise_search_term(term: str) -> str:
    """What an operator pastes: full-width characters tidied; a number loses its hyphens and
    spaces (「060-1234-5678」, 「caf 0123456789」)."""
    term = unicodedata.normalize("NFKC", term).strip()
    compact = normalise(term)
    if re.fullmatch(r"(CAF)?[0-9]+", compact) or re.fullmatch(r"[A-Z][0-9]{4}", compact):
        return compact
    return term


class LineSearchMixin:
    """Search by フレッツナンバー or お客様ID: an exact number uses the unique index."""

    line_path = ""  # "" for SubscriberLine itself, "line__" for models pointing at a line

    def line_lookup(self, term: str) -> dict | None:
        if re.fullmatch(r"[0-9]{11}", term):
            return {f"{self.line_path}flets_number": term}
        if re.fullmatch(r"CAF[0-9]{10}", term):
            return {f"{self.line_path}customer_id": term}
        return None

    def get_search_results(self, request, queryset, search_term):
        lookup = self.line_lookup(normalise_search_term(search_term))
        if lookup is not None:
            return queryset.filter(**lookup), False
        return super().get_search_results(request, queryset, search_term)


class LineColumnsMixin:
    """The line's フレッツナンバー and お客様ID as list columns of a model pointing at a line."""

    @admin.display(description="フレッツナンバー", ordering="line__flets_number")
    def line_flets_number(self, obj):
        return obj.line.flets_number

    @admin.display(description="お客様ID", ordering="line__customer_id")
    def line_customer_id(self, obj):
        return obj.line.customer_id


class CheckedInputMixin:
    """What Django's admin passes on to a query unchecked.

    A date filter or date hierarchy out of the calendar's range (a year of twenty digits, year
    9999 whose next year does not exist, year 1 in Tokyo that is year 0 in UTC on SQLite) is a
    wrong parameter, answered as Django answers those: the list with ?e=1. An action's ticked
    id that is no id ("", "1.5") is refused as Django refuses an empty selection."""

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                pk.run_validators(pk.to_python(value))  # an id, in the column's range
        except ValidationError:
            self.message_user(
                request,
                "選択された項目が正しくありません。何も変更していません。",
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset)


def no_store(response):
    add_never_cache_headers(response)
    return response


class SubscriberLineForm(forms.ModelForm):
    class Meta:
        model = SubscriberLine
        fields = ["flets_number", "customer_id", "ipv6_prefix", "status"]

    def clean_flets_number(self):
        number = self.cleaned_data["flets_number"]
        if User.objects.filter(username=number).exists():
            raise forms.ValidationError(
                "このフレッツナンバーのログインアカウントは既に存在します。"
            )
        return number


@admin.register(SubscriberLine)
class SubscriberLineAdmin(CheckedInputMixin, LineSearchMixin, admin.ModelAdmin):
    form = SubscriberLineForm
    list_display = ["flets_number", "customer_id", "ipv6_prefix", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["flets_number", "customer_id"]
    search_help_text = "フレッツナンバー (11桁) またはお客様ID (CAF+10桁) で検索します。"
    show_full_result_count = False
    fields = ["flets_number", "customer_id", "ipv6_prefix", "status", "created_at"]
    readonly_fields = ["created_at"]
    actions = ["reissue_access_keys"]

    def get_readonly_fields(self, request, obj=None):
        # The フレッツナンバー is the login name: fixed once the account exists.
        if obj is not None:
            return ["flets_number", "created_at"]
        return self.readonly_fields

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            obj.user, obj.issued_access_key = create_line_user(obj.flets_number)
        super().save_model(request, obj, form, change)

    @transaction.atomic
    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        user.delete()  # the line's login goes with it

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        user_ids = list(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        User.objects.filter(pk__in=user_ids).delete()

    def response_add(self, request, obj, post_url_continue=None):
        # Shown in this response only, never put into the session or a message.
        return self._keys_issued(request, [(obj, obj.issued_access_key)], created=True)

    @admin.action(description="アクセスキーを再発行", permissions=["change"])
    def reissue_access_keys(self, request, queryset):
        lines = list(queryset.select_related("user"))
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "アクセスキーの再発行",
                "opts": self.model._meta,
                "lines": lines,
                "action_name": "reissue_access_keys",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return no_store(
                TemplateResponse(request, "admin/wso_portal/reissue_confirm.html", context)
            )
        issued = []
        with transaction.atomic():
            for line in lines:
                issued.append((line, reset_access_key(line)))
                audit.record(request, AuditEntry.Action.REISSUE_ACCESS_KEY, line)
        return self._keys_issued(request, issued, created=False)

    def _keys_issued(self, request, issued, *, created: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": "アクセスキーを発行しました" if created else "アクセスキーを再発行しました",
            "opts": self.model._meta,
            "issued": issued,
            "created": created,
        }
        return no_store(TemplateResponse(request, "admin/wso_portal/keys_issued.html", context))


@admin.register(Service)
class ServiceAdmin(CheckedInputMixin, admin.ModelAdmin):
    list_display = ["position", "name", "code", "kind", "button_label", "default_status"]
    list_display_links = ["name"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    ordering = ["position", "id"]


@admin.register(ServiceContract)
class ServiceContractAdmin(CheckedInputMixin, LineColumnsMixin, LineSearchMixin, admin.ModelAdmin):
    line_path = "line__"
    list_display = [
        "line_flets_number",
        "line_customer_id",
        "service",
        "status",
        "plan",
        "started_on",
    ]
    list_filter = ["service", "status"]
    list_select_related = ["line", "service"]
    search_fields = ["line__flets_number", "line__customer_id", "plan"]
    show_full_result_count = False
    autocomplete_fields = ["line"]


class PublishedFilter(admin.SimpleListFilter):
    title = "掲載状況"
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("now", "掲載中"), ("future", "掲載前"), ("past", "掲載終了")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.published(now)
        if self.value() == "future":
            return queryset.filter(publish_from__gt=now)
        if self.value() == "past":
            return queryset.filter(publish_until__lte=now)
        return queryset


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["text", "publish_from", "publish_until"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("publish_from"), cleaned.get("publish_until")
        if start and end and end <= start:
            self.add_error("publish_until", "掲載終了は掲載開始より後の日時にしてください。")
        return cleaned


@admin.register(Announcement)
class AnnouncementAdmin(CheckedInputMixin, admin.ModelAdmin):
    form = AnnouncementForm
    list_display = ["summary", "publish_from", "publish_until", "is_published"]
    list_filter = [PublishedFilter]
    search_fields = ["text"]
    date_hierarchy = "publish_from"

    @admin.display(description="本文")
    def summary(self, obj):
        return obj.text[:60]

    @admin.display(description="掲載中", boolean=True)
    def is_published(self, obj):
        now = timezone.now()
        return obj.publish_from <= now and (obj.publish_until is None or obj.publish_until > now)


class ViewOnlyMixin:
    """Operators may look, never add, change or delete through the admin's forms."""

    def has_add_permission(self, request, obj=None):  # obj: an inline's parent
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(CheckedInputMixin, ViewOnlyMixin, admin.ModelAdmin):
    """Records written by the login itself: operators look, they do not edit."""


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "flets_number", "client_address", "succeeded", "reason"]
    list_filter = ["succeeded", "reason"]
    search_fields = ["=flets_number", "=client_address"]
    search_help_text = "フレッツナンバーまたは接続元アドレス (完全一致) で検索します。"
    show_full_result_count = False
    date_hierarchy = "at"

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_search_term(search_term))


class LockoutActiveFilter(admin.SimpleListFilter):
    title = "ロック状況"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "ロック中"), ("no", "解除済み")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(until__gt=timezone.now())
        if self.value() == "no":
            return queryset.filter(until__lte=timezone.now())
        return queryset


@admin.register(Lockout)
class LockoutAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "key", "until", "is_active"]
    list_filter = [LockoutActiveFilter, "kind"]
    search_fields = ["=key"]
    search_help_text = (
        "フレッツナンバー、運用者のユーザー名、または接続元アドレス (完全一致) で検索します。"
    )
    actions = ["lift"]

    # In words: a green tick for "still locked" read as "all well".
    @admin.display(description="状態")
    def is_active(self, obj):
        return "ロック中" if obj.until > timezone.now() else "解除済み"

    @admin.action(description="ロックを解除")
    def lift(self, request, queryset):
        now = timezone.now()
        with transaction.atomic():
            locks = list(queryset.filter(until__gt=now).select_for_update())
            Lockout.objects.filter(pk__in=[lock.pk for lock in locks]).update(until=now)
            for lock in locks:
                audit.record(request, AuditEntry.Action.LIFT_LOCK, lock, locked_until=lock.until)
        self.message_user(request, f"{len(locks)}件のロックを解除しました。", messages.SUCCESS)

    def get_actions(self, request):
        # The list is read-only, yet lifting a lock needs the change permission.
        actions = super().get_actions(request)
        if not request.user.has_perm("wso_portal.change_lockout"):
            actions.pop("lift", None)
        return actions


class HasLineFilter(admin.SimpleListFilter):
    title = "種別"
    parameter_name = "account"

    def lookups(self, request, model_admin):
        return [("operator", "運用者"), ("line", "回線 (お客様)")]

    def queryset(self, request, queryset):
        if self.value() == "operator":
            return queryset.filter(line__isnull=True)
        if self.value() == "line":
            return queryset.filter(line__isnull=False)
        return queryset


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(CheckedInputMixin, UserAdmin):
    """Operators' accounts. A line's account carries its access key, so its password is neither
    shown nor set here: the line's 「アクセスキーを再発行」 action does that."""

    list_display = ["username", "is_staff", "is_superuser", "is_active", "last_login"]
    list_filter = [HasLineFilter, "is_staff", "is_superuser", "is_active"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line")

    def get_search_results(self, request, queryset, search_term):
        term = normalise_search_term(search_term)
        if re.fullmatch(r"[0-9]{11}", term):  # a line's account: by its unique username
            return queryset.filter(username=term), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and hasattr(obj, "line"):
            return [(None, {"fields": ["username", "is_active", "last_login", "date_joined"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and hasattr(obj, "line"):
            return ["username", "last_login", "date_joined"]
        return super().get_readonly_fields(request, obj)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))  # None for an id that is none, like 1.5
        if user is not None and hasattr(user, "line"):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)
