"""The rules of 申込者情報入力 (screen 5), with the manual's messages in Japanese (and English)."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, gettext_lazy, gettext_noop, pgettext

from .models import BlockedMailDomain

NAME_MAX = 20
EMAIL_MAX = 254
EMAIL_LOCAL_MAX = 64

# Characters that change on the way Unicode → Shift_JIS → Unicode, depending on whether the
# JIS mapping or Microsoft's cp932 mapping is used at either end: 〜/～, ‖/∥, −/－, ¢/￠,
# £/￡, ¬/￢, —/― and the broken bars. Refused on both sides of each pair, as the manual does.
ROUND_TRIP_CHARS = frozenset("〜～‖∥−－¢￠£￡¬￢—―¦￤")

# ASCII → full-width before the rules apply. Quotes and the hyphen go to their JIS X 0208
# forms (’ ” ‐), since ＂ ＇ and － are not safe in Shift_JIS.
_ASCII_TO_FULL = {c: chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
_ASCII_TO_FULL.update({ord(" "): "\u3000", ord("'"): "’", ord('"'): "”", ord("-"): "‐"})
_HALF_KANA = re.compile(r"[\uff61-\uff9f]+")

_PHONE_FULL = str.maketrans("０１２３４５６７８９－ー‐−―", "0123456789-----")
_PHONE = re.compile(r"^0[0-9]*(-[0-9]+){0,2}$")

MSG_NAME_REQUIRED = gettext_noop("お名前を入力してください。")
MSG_NAME_LONG = gettext_noop("お名前は全角20文字以内で入力してください。（現在{n}文字）")
# Every character refused, once each, in the order typed, with the usual one to type instead.
MSG_BAD_CHARS = gettext_noop("次の文字は使えません: {chars}")
MSG_USE_INSTEAD = gettext_noop("{c}（「{instead}」をお使いください）")
# The common substitutes: variant kanji of names for their JIS X 0208 forms, and the dashes for
# the hyphen a half-width "-" becomes.
SUBSTITUTES = {
    "髙": "高",
    "﨑": "崎",
    "𠮷": "吉",
    "德": "徳",
    "濵": "浜",
    "栁": "柳",
    "瀨": "瀬",
    "\ufa10": "塚",
    "\ufa19": "神",
    "\ufa1b": "福",
    "－": "‐",
    "−": "‐",
    "—": "‐",
    "―": "‐",
    "㈱": "（株）",
    "㈲": "（有）",
}
MSG_PHONE_REQUIRED = gettext_noop("ご連絡先電話番号を入力してください。")
MSG_PHONE_FORMAT = gettext_noop(
    "ご連絡先電話番号は半角数字とハイフンで入力してください（例: 090-1234-5678）。"
)
MSG_PHONE_DIGITS = gettext_noop(
    "ご連絡先電話番号は0から始まる10桁または11桁の数字で入力してください。"
)
MSG_EMAIL_REQUIRED = gettext_noop(
    "工事完了通知メールを希望される場合は、ご連絡先メールアドレスを入力してください。"
)
MSG_EMAIL_HALF_WIDTH = gettext_noop("ご連絡先メールアドレスは半角英数字と記号で入力してください。")
MSG_EMAIL_INVALID = gettext_noop("ご連絡先メールアドレスの形式が正しくありません。")
MSG_EMAIL_DOMAIN = gettext_noop(
    "ご連絡先メールアドレスの「@」より後ろは、「example.jp」のように「.」を含むドメイン名で"
    "入力してください。"
)
MSG_EMAIL_LONG = gettext_noop(
    "ご連絡先メールアドレスは254文字以内（@より前は64文字以内）で入力してください。"
)
MSG_EMAIL_MOBILE = gettext_noop("携帯電話のメールアドレスはご利用になれません。")
MSG_WANTS_REQUIRED = gettext_noop("工事完了通知を希望されるかどうかを選択してください。")


def to_full_width(value: str) -> str:
    """Half-width katakana and ASCII → full-width (ｶﾞ → ガ, A → Ａ, space → 全角スペース)."""
    value = _HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value)
    return value.translate(_ASCII_TO_FULL)


def is_jis_x_0208(char: str) -> bool:
    try:
        encoded = char.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    # ESC $ B / ESC $ @ switch to JIS X 0208; anything else is ASCII or JIS X 0201.
    return encoded[:3] in (b"\x1b$B", b"\x1b$@")


def bad_chars(value: str) -> list[str]:
    """The Shift_JIS round-trip characters and those outside JIS X 0208, once each, in order."""
    found = dict.fromkeys(c for c in value if c in ROUND_TRIP_CHARS or not is_jis_x_0208(c))
    return list(found)


def check_jis_chars(value: str) -> None:
    """Refuse every character that cannot be used, naming each one (one message)."""
    chars = bad_chars(value)
    if chars:
        named = [
            gettext(MSG_USE_INSTEAD).format(c=c, instead=SUBSTITUTES[c]) if c in SUBSTITUTES else c
            for c in chars
        ]
        message = gettext(MSG_BAD_CHARS).format(chars=pgettext("list separator", "、").join(named))
        raise ValidationError(message, code="bad_chars")


def normalise_phone(value: str) -> str:
    """Full-width digits and dashes → half-width; hyphens kept where they were typed."""
    return value.translate(_PHONE_FULL).replace(" ", "").replace("\u3000", "")


def is_blocked_domain(domain: str, blocked: list[str]) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == b or domain.endswith("." + b) for b in blocked)


class ApplicantForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("※お名前"),
        error_messages={"required": gettext_lazy(MSG_NAME_REQUIRED)},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("※ご連絡先電話番号"),
        max_length=40,
        error_messages={
            "required": gettext_lazy(MSG_PHONE_REQUIRED),
            "max_length": gettext_lazy(MSG_PHONE_DIGITS),
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=gettext_lazy("ご連絡先メールアドレス"),
        required=False,
        max_length=300,
        error_messages={"max_length": gettext_lazy(MSG_EMAIL_LONG)},
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    wants_completion_mail = forms.ChoiceField(
        label=gettext_lazy("※工事完了通知を希望されますか?"),
        choices=[("yes", gettext_lazy("希望する")), ("no", gettext_lazy("希望しない"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy(MSG_WANTS_REQUIRED),
            "invalid_choice": gettext_lazy(MSG_WANTS_REQUIRED),
        },
    )

    def clean_name(self) -> str:
        typed = self.cleaned_data["name"].strip()
        name = to_full_width(typed)
        self.name_converted = name != typed
        if len(name) > NAME_MAX:
            raise ValidationError(gettext(MSG_NAME_LONG).format(n=len(name)), code="too_long")
        check_jis_chars(name)
        return name

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if not re.fullmatch(r"[0-9-]+", phone):
            raise ValidationError(gettext(MSG_PHONE_FORMAT), code="format")
        digits = phone.replace("-", "")
        if not digits.startswith("0") or len(digits) not in (10, 11):
            raise ValidationError(gettext(MSG_PHONE_DIGITS), code="digits")
        if not _PHONE.fullmatch(phone):  # at most two hyphens, each between digits
            raise ValidationError(gettext(MSG_PHONE_FORMAT), code="format")
        return phone

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if not email:
            return ""
        if not email.isascii():
            raise ValidationError(gettext(MSG_EMAIL_HALF_WIDTH), code="half_width")
        local, _, domain = email.rpartition("@")
        if len(email) > EMAIL_MAX or len(local) > EMAIL_LOCAL_MAX:
            raise ValidationError(gettext(MSG_EMAIL_LONG), code="too_long")
        # A domain name with a dot only: Django's validator also takes localhost and addresses
        # in brackets ([192.0.2.1]), where no subscriber's mailbox is.
        if local and domain and ("." not in domain or domain.startswith("[")):
            raise ValidationError(gettext(MSG_EMAIL_DOMAIN), code="domain")
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(gettext(MSG_EMAIL_INVALID), code="invalid") from None
        blocked = list(BlockedMailDomain.objects.values_list("domain", flat=True))
        if is_blocked_domain(domain, blocked):
            raise ValidationError(gettext(MSG_EMAIL_MOBILE), code="mobile")
        return email

    def clean_wants_completion_mail(self) -> bool:
        return self.cleaned_data["wants_completion_mail"] == "yes"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("wants_completion_mail") and "email" in cleaned and not cleaned["email"]:
            self.add_error("email", ValidationError(gettext(MSG_EMAIL_REQUIRED), code="required"))
        return cleaned

    # The flow keeps the cleaned values; the form shows them again on 【前画面へ戻る】.
    def to_flow(self) -> dict:
        # Whether the name typed was converted to full-width, for 変更内容確認 to say so.
        return {**self.cleaned_data, "name_converted": self.name_converted}

    @staticmethod
    def initial_from_flow(applicant: dict | None) -> dict | None:
        if not applicant:
            return None
        return {
            **applicant,
            "wants_completion_mail": "yes" if applicant["wants_completion_mail"] else "no",
        }


def parse_ids(values: list[str]) -> list[int] | None:
    """Provider ids posted by a checkbox list; None when any of them is not a number."""
    ids = []
    for value in values:
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            return None
        ids.append(int(value))
    return ids
