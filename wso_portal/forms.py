import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext, gettext_lazy

from . import login
from .login import normalise


class LoginForm(forms.Form):
    """Screen 0. Checks the shape of the input only; the pair is checked by login.attempt."""

    flets_number = forms.CharField(
        label=gettext_lazy("フレッツナンバー"),
        max_length=40,
        help_text=gettext_lazy("例: 060-1234-5678(ハイフン・全角でも入力できます)"),
        error_messages={"required": gettext_lazy("フレッツナンバーを入力してください。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    access_key = forms.CharField(
        label=gettext_lazy("アクセスキー"),
        max_length=40,
        strip=False,
        help_text=gettext_lazy("半角英数字8文字"),
        error_messages={"required": gettext_lazy("アクセスキーを入力してください。")},
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autocapitalize": "characters"}
        ),
    )

    def clean_flets_number(self) -> str:
        value = normalise(self.cleaned_data["flets_number"])
        if not re.fullmatch(r"[0-9]{11}", value):
            raise forms.ValidationError(gettext("フレッツナンバーは数字11桁で入力してください。"))
        return value

    def clean_access_key(self) -> str:
        value = normalise(self.cleaned_data["access_key"])
        if not re.fullmatch(r"[A-Z0-9]{8}", value):
            raise forms.ValidationError(gettext("アクセスキーは英数字8文字で入力してください。"))
        return value


class OperatorLoginForm(AdminAuthenticationForm):
    """The admin's login: username + password, and the authenticator app's code when
    WSO_ADMIN_REQUIRE_MFA is on. Over the address's login rate it stops before any hash; else
    login.attempt_operator checks, counts, locks and logs as for subscribers."""

    otp_token = forms.CharField(
        label="確認コード",
        max_length=10,
        help_text="認証アプリに表示される6桁の数字",
        error_messages={"required": "確認コードを入力してください。"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.rate_limited = False
        if not settings.WSO_ADMIN_REQUIRE_MFA:
            del self.fields["otp_token"]

    def clean_otp_token(self) -> str:
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", self.cleaned_data["otp_token"]))

    def clean(self):
        if login.rate_exceeded(self.request):
            self.rate_limited = True
            raise forms.ValidationError(gettext(login.TOO_MANY_ATTEMPTS), code="rate_limited")
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("otp_token", "")
        if username is None or not password or ("otp_token" in self.fields and not code):
            return self.cleaned_data  # the fields' own errors say what is missing
        result = login.attempt_operator(self.request, username, password, code)
        if not result.ok:
            raise forms.ValidationError(result.message, code="invalid_login")
        self.user_cache = result.user
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
