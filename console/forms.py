import re
import unicodedata

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from providers.models import WebhookEvent
from providers.webhooks import UnsafeURL, check_url


class LoginForm(forms.Form):
    """Checks the shape of the input only; console.accounts.login checks the account."""

    email = forms.CharField(
        label=gettext_lazy("メールアドレス"),
        max_length=150,
        error_messages={"required": gettext_lazy("メールアドレスを入力してください。")},
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=gettext_lazy("パスワード"),
        max_length=200,
        strip=False,
        error_messages={"required": gettext_lazy("パスワードを入力してください。")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=gettext_lazy("確認コード"),
        max_length=10,
        required=False,
        help_text=gettext_lazy(
            "認証アプリに表示される6桁の数字。初めてログインするときは空欄のままにしてください。"
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not settings.WSO_CONSOLE_REQUIRE_MFA:
            del self.fields["otp_token"]

    def clean_otp_token(self) -> str:
        return code(self.cleaned_data["otp_token"])


def code(value: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value or ""))


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("確認コード"),
        max_length=10,
        help_text=gettext_lazy("認証アプリに表示される6桁の数字"),
        error_messages={"required": gettext_lazy("確認コードを入力してください。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_otp_token(self) -> str:
        return code(self.cleaned_data["otp_token"])


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("通知先URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy(
            "https:// で始まり、インターネット上の公開アドレスを指すURLです。"
            "登録のときと送信のたびに確かめます。"
        ),
        error_messages={"required": gettext_lazy("通知先URLを入力してください。")},
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            check_url(url)
        except UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


# The events' states in the console's language (the model's labels are the admin's Japanese).
STATE_LABELS = {
    WebhookEvent.State.PENDING: gettext_lazy("送信待ち"),
    WebhookEvent.State.DELIVERED: gettext_lazy("送信済み"),
    WebhookEvent.State.FAILED: gettext_lazy("送信失敗"),
}


class EventFilterForm(forms.Form):
    """即時通知の履歴's filters, from the query string; a value that is not valid is ignored."""

    state = forms.ChoiceField(
        label=gettext_lazy("状態"),
        required=False,
        choices=[("", gettext_lazy("すべて")), *STATE_LABELS.items()],
    )
    type = forms.ChoiceField(
        label=gettext_lazy("種類"),
        required=False,
        choices=[("", gettext_lazy("すべて")), *WebhookEvent.Type.choices],
    )
    since = forms.DateField(
        label=gettext_lazy("作成日 (から)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=gettext_lazy("作成日 (まで)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ResendFailedForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("この日以降に作成された送信失敗の通知"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("日付を入力してください。"),
            "invalid": gettext_lazy("日付を正しく入力してください。"),
        },
    )
