import re

from django import forms

from .login import normalise


class LoginForm(forms.Form):
    """Screen 0. Checks the shape of the input only; the pair is checked by login.attempt."""

    flets_number = forms.CharField(
        label="フレッツナンバー",
        max_length=40,
        help_text="例: 060-1234-5678(ハイフン・全角でも入力できます)",
        error_messages={"required": "フレッツナンバーを入力してください。"},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    access_key = forms.CharField(
        label="アクセスキー",
        max_length=40,
        strip=False,
        help_text="半角英数字8文字",
        error_messages={"required": "アクセスキーを入力してください。"},
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autocapitalize": "characters"}
        ),
    )

    def clean_flets_number(self) -> str:
        value = normalise(self.cleaned_data["flets_number"])
        if not re.fullmatch(r"[0-9]{11}", value):
            raise forms.ValidationError("フレッツナンバーは数字11桁で入力してください。")
        return value

    def clean_access_key(self) -> str:
        value = normalise(self.cleaned_data["access_key"])
        if not re.fullmatch(r"[A-Z0-9]{8}", value):
            raise forms.ValidationError("アクセスキーは英数字8文字で入力してください。")
        return value
