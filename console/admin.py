"""事業者ポータルのユーザー: an operator registers one (provider + e-mail address) and is shown,
once, the link with which the user sets its password; the user's own account is never staff."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from audit import services as audit
from audit.models import AuditEntry
from notification.models import ServiceProvider
from providers.admin.common import StepPageMixin
from wso_portal.admin import CheckedInputMixin

from .models import ProviderUser
from .services import UserExists, create_provider_user, set_password_path


class ProviderUserForm(forms.ModelForm):
    provider = forms.ModelChoiceField(
        label="サービス提供者", queryset=ServiceProvider.objects.order_by("code")
    )
    email = forms.EmailField(label="メールアドレス", max_length=150)

    class Meta:
        model = ProviderUser
        fields = ["provider"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance = create_provider_user(cleaned["provider"], cleaned["email"])
        except UserExists as exc:
            self.add_error("email", str(exc))
        except ValidationError as exc:
            self.add_error("email", exc)
        return cleaned


@admin.register(ProviderUser)
class ProviderUserAdmin(CheckedInputMixin, StepPageMixin, admin.ModelAdmin):
    list_display = ["provider", "email", "created_at", "last_login", "is_active"]
    list_select_related = ["provider", "user"]
    search_fields = ["provider__code", "user__username"]
    form = ProviderUserForm

    def has_change_permission(self, request, obj=None):
        return False  # a user is removed and registered again, never moved to another provider

    @admin.display(description="最終ログイン")
    def last_login(self, obj):
        return obj.user.last_login

    @admin.display(description="有効", boolean=True)
    def is_active(self, obj):
        return obj.user.is_active

    def save_model(self, request, obj, form, change):
        # The form's clean() has created it through the service; the audit names the provider.
        audit.record(request, AuditEntry.Action.ADD, obj, provider=obj.provider.code)

    def response_add(self, request, obj, post_url_continue=None):
        # Shown in this response only, never put into the session or a message.
        link = request.build_absolute_uri(set_password_path(obj.user))
        return self._page(
            request,
            "admin/console/user_created.html",
            "事業者ポータルのユーザーを登録しました",
            provider_user=obj,
            link=link,
        )
