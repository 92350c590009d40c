"""申込者情報入力 (screen 5): every rule, valid and invalid, with the exact message."""

import unicodedata

import pytest
from django.utils import translation

from notification.forms import (
    MSG_EMAIL_DOMAIN,
    MSG_EMAIL_HALF_WIDTH,
    MSG_EMAIL_INVALID,
    MSG_EMAIL_LONG,
    MSG_EMAIL_MOBILE,
    MSG_EMAIL_REQUIRED,
    MSG_NAME_LONG,
    MSG_NAME_REQUIRED,
    MSG_PHONE_DIGITS,
    MSG_PHONE_FORMAT,
    MSG_PHONE_REQUIRED,
    MSG_WANTS_REQUIRED,
    ROUND_TRIP_CHARS,
    SUBSTITUTES,
    ApplicantForm,
)
from notification.models import BlockedMailDomain

pytestmark = pytest.mark.django_db

VALID = {
    "name": "西日本 太郎",
    "phone": "090-1234-5678",
    "email": "taro@example.jp",
    "wants_completion_mail": "yes",
}


def clean(**overrides):
    return ApplicantForm({**VALID, **overrides})


def errors_of(field, **overrides):
    form = clean(**overrides)
    assert not form.is_valid()
    return form.errors[field]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("西日本 太郎", "西日本　太郎"),
        ("西日本　太郎", "西日本　太郎"),
        ("  山田花子  ", "山田花子"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
        ("ﾊﾟﾊﾟ", "パパ"),
        ("Taro Yamada", "Ｔａｒｏ　Ｙａｍａｄａ"),
        ("O'Neil", "Ｏ’Ｎｅｉｌ"),
        ("Jean-Luc", "Ｊｅａｎ‐Ｌｕｃ"),
        ("高橋一郎", "高橋一郎"),
        ('say "hi"', "ｓａｙ　”ｈｉ”"),
        ("熙子", "熙子"),
        ("あ" * 20, "あ" * 20),
        ("ｱ" * 20, "ア" * 20),
        ("ｶﾞ" * 20, "ガ" * 20),  # 40 half-width characters make 20 full-width ones
        ("A" * 20, "Ａ" * 20),
        ("＼記号＃＆", "＼記号＃＆"),
    ],
)
def test_it_accepts_and_converts_names(typed, stored):
    form = clean(name=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", MSG_NAME_REQUIRED),
        ("   ", MSG_NAME_REQUIRED),
        ("あ" * 21, MSG_NAME_LONG.format(n=21)),
        ("A" * 21, MSG_NAME_LONG.format(n=21)),
        ("ｱ" * 21, MSG_NAME_LONG.format(n=21)),
        ("あ" * 5000, MSG_NAME_LONG.format(n=5000)),
        ("～" * 21, MSG_NAME_LONG.format(n=21)),
        ("髙橋", "次の文字は使えません: 髙（「高」をお使いください）"),
        ("山﨑", "次の文字は使えません: 﨑（「崎」をお使いください）"),
        ("①番", "次の文字は使えません: ①"),
        ("㈱西日本", "次の文字は使えません: ㈱（「（株）」をお使いください）"),
        ("Ⅲ世", "次の文字は使えません: Ⅲ"),
        ("太郎😀", "次の文字は使えません: 😀"),
        ("Café", "次の文字は使えません: é"),
        ("𠮷野", "次の文字は使えません: 𠮷（「吉」をお使いください）"),
        # Every one named, once each, in the order typed.
        ("髙橋～太郎～①", "次の文字は使えません: 髙（「高」をお使いください）、～、①"),
    ],
)
def test_it_refuses_bad_names(typed, message):
    assert errors_of("name", name=typed) == [message]


# Each Shift_JIS round-trip character, on both sides of its JIS / cp932 pair.
ROUND_TRIP = [
    ("～", "FULLWIDTH TILDE"),
    ("〜", "WAVE DASH"),
    ("∥", "PARALLEL TO"),
    ("‖", "DOUBLE VERTICAL LINE"),
    ("－", "FULLWIDTH HYPHEN-MINUS"),
    ("−", "MINUS SIGN"),
    ("￠", "FULLWIDTH CENT SIGN"),
    ("¢", "CENT SIGN"),
    ("￡", "FULLWIDTH POUND SIGN"),
    ("£", "POUND SIGN"),
    ("￢", "FULLWIDTH NOT SIGN"),
    ("¬", "NOT SIGN"),
    ("—", "EM DASH"),
    ("―", "HORIZONTAL BAR"),
    ("¦", "BROKEN BAR"),
    ("￤", "FULLWIDTH BROKEN BAR"),
]


@pytest.mark.parametrize(("char", "unicode_name"), ROUND_TRIP)
def test_it_refuses_each_shift_jis_round_trip_character_by_name(char, unicode_name):
    assert unicodedata.name(char) == unicode_name
    named = f"{char}（「{SUBSTITUTES[char]}」をお使いください）" if char in SUBSTITUTES else char
    assert errors_of("name", name=f"西日本{char}太郎") == [f"次の文字は使えません: {named}"]


def test_the_round_trip_list_is_exactly_the_tested_characters():
    assert {c for c, _ in ROUND_TRIP} == set(ROUND_TRIP_CHARS)


def test_a_half_width_tilde_is_refused_as_the_full_width_one_it_becomes():
    assert errors_of("name", name="taro~") == ["次の文字は使えません: ～"]


def test_every_substitute_is_a_character_the_rules_accept():
    for char, instead in SUBSTITUTES.items():
        assert errors_of("name", name=char)
        assert clean(name=instead).is_valid(), (char, instead)


def test_the_message_is_english_on_english_screens():
    with translation.override("en"):
        assert errors_of("name", name="髙橋～") == [
            "These characters cannot be used: 髙 (please use “高”), ～"
        ]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("090-1234-5678", "090-1234-5678"),
        ("09012345678", "09012345678"),
        ("06-1234-5678", "06-1234-5678"),
        ("0612345678", "0612345678"),
        ("０９０－１２３４－５６７８", "090-1234-5678"),
        ("０９０ー１２３４ー５６７８", "090-1234-5678"),
        ("０６１２３４５６７８", "0612345678"),
        (" 090 1234 5678 ", "09012345678"),
        ("0120-123-456", "0120-123-456"),
    ],
)
def test_it_accepts_phone_numbers(typed, stored):
    form = clean(phone=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", MSG_PHONE_REQUIRED),
        ("12345", MSG_PHONE_DIGITS),
        ("1901234567", MSG_PHONE_DIGITS),
        ("061234567", MSG_PHONE_DIGITS),
        ("090123456789", MSG_PHONE_DIGITS),
        ("090(1234)5678", MSG_PHONE_FORMAT),
        ("+81-90-1234-5678", MSG_PHONE_FORMAT),
        ("090-1234-abcd", MSG_PHONE_FORMAT),
        ("090--1234-5678", MSG_PHONE_FORMAT),
        ("-090-1234-5678", MSG_PHONE_FORMAT),
        ("090-1234-5678-", MSG_PHONE_FORMAT),
        ("0-90-1234-5678", MSG_PHONE_FORMAT),
        ("〇九〇１２３４５６７８", MSG_PHONE_FORMAT),
        ("0" * 41, MSG_PHONE_DIGITS),
    ],
)
def test_it_refuses_bad_phone_numbers(typed, message):
    assert errors_of("phone", phone=typed) == [message]


@pytest.mark.parametrize(
    "email",
    [
        "taro@example.jp",
        "taro.nishi+wso@mail.example.co.jp",
        "a" * 64 + "@example.jp",
        "taro@docomo.ne.jp.example.com",  # not a carrier's domain, only looks like one
        "taro@notdocomo.ne.jp",
    ],
)
def test_it_accepts_addresses(email):
    form = clean(email=email)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == email


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("taro@localhost", MSG_EMAIL_DOMAIN),
        ("taro@example", MSG_EMAIL_DOMAIN),
        ("taro@[192.0.2.1]", MSG_EMAIL_DOMAIN),
        ("taro@", MSG_EMAIL_INVALID),
        ("taro.example.jp", MSG_EMAIL_INVALID),
        ("taro@@example.jp", MSG_EMAIL_INVALID),
        ("ｔａｒｏ@example.jp", MSG_EMAIL_HALF_WIDTH),
        ("taro＠example.jp", MSG_EMAIL_HALF_WIDTH),
        ("太郎@example.jp", MSG_EMAIL_HALF_WIDTH),
        ("a" * 65 + "@example.jp", MSG_EMAIL_LONG),
        ("a@" + "b" * 250 + ".jp", MSG_EMAIL_LONG),
        ("taro@docomo.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@DOCOMO.NE.JP", MSG_EMAIL_MOBILE),
        ("taro@ezweb.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@biz.ezweb.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@au.com", MSG_EMAIL_MOBILE),
        ("taro@softbank.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@t.vodafone.softbank.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@i.softbank.jp", MSG_EMAIL_MOBILE),
        ("taro@disney.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@emobile.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@ymobile.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@y-mobile.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@pdx.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@di.pdx.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@willcom.com", MSG_EMAIL_MOBILE),
        ("taro@wcm.ne.jp", MSG_EMAIL_MOBILE),
        ("taro@rakuten.jp", MSG_EMAIL_MOBILE),
        ("taro@uqmobile.jp", MSG_EMAIL_MOBILE),
    ],
)
def test_it_refuses_bad_addresses(email, message):
    assert errors_of("email", email=email) == [message]


def test_it_explains_a_domain_without_a_dot_in_english_too():
    with translation.override("en"):
        assert errors_of("email", email="taro@localhost") == [
            "After the @ of the contact email address, please enter a domain name with a dot,"
            " such as example.jp."
        ]


def test_operators_can_extend_the_blocked_domains():
    assert clean(email="taro@newcarrier.jp").is_valid()
    BlockedMailDomain.objects.create(domain="newcarrier.jp")
    assert errors_of("email", email="taro@newcarrier.jp") == [MSG_EMAIL_MOBILE]


def test_an_address_is_required_only_when_the_mail_is_wanted():
    assert errors_of("email", email="", wants_completion_mail="yes") == [MSG_EMAIL_REQUIRED]
    form = clean(email="", wants_completion_mail="no")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["wants_completion_mail"] is False


@pytest.mark.parametrize("value", ["", "maybe"])
def test_the_completion_mail_choice_is_required(value):
    assert errors_of("wants_completion_mail", wants_completion_mail=value) == [MSG_WANTS_REQUIRED]


def test_a_valid_form_cleans_everything():
    form = clean()
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "name": "西日本　太郎",
        "phone": "090-1234-5678",
        "email": "taro@example.jp",
        "wants_completion_mail": True,
    }
