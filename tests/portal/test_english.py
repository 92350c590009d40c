"""English: every subscriber screen, the mail and the dates in English when asked for; Japanese
stays the default, and the admin stays Japanese whatever the subscriber chose."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from notification.models import Application
from notification.work import run_due_work
from tests.factories import make_application, make_disclosure, make_provider, set_notify
from tests.notification.flow_helpers import (
    agree,
    fill_applicant,
    start_notify,
    start_stop,
    step_url,
    submit,
)

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Translation tags and their contents, comments, and the _("…") literals of filter arguments.
TRANSLATED = [
    re.compile(r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S),
    re.compile(r"{%\s*trans(?:late)?\s.*?%}", re.S),
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"""_\((?:"[^"]*"|'[^']*')\)"""),
]


def subscriber_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*")
        if path.is_file()
        and path.suffix in (".html", ".txt")
        and path.relative_to(TEMPLATES).parts[0] not in ("admin", "ninja")
    )


def untranslated(text: str) -> list[str]:
    for pattern in TRANSLATED:
        text = pattern.sub("", text)
    return [line.strip() for line in text.splitlines() if JAPANESE.search(line)]


def test_it_finds_japanese_outside_translation_tags():
    assert untranslated("<p>お名前</p>") == ["<p>お名前</p>"]
    assert untranslated('<p>{% translate "お名前" %}</p>{# 名前 #}') == []
    assert untranslated("{% blocktranslate %}{{ n }}件{% endblocktranslate %}") == []
    assert untranslated('{{ at|date:_("Y年n月j日") }}') == []


def test_no_subscriber_template_holds_japanese_outside_a_translation_tag():
    templates = subscriber_templates()
    assert TEMPLATES / "base.html" in templates
    assert TEMPLATES / "notification" / "mail" / "completion_body.txt" in templates
    found = {
        str(path.relative_to(TEMPLATES)): lines
        for path in templates
        if (lines := untranslated(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def english(client, url: str, status: int = 200) -> str:
    response = client.get(url, **EN)
    assert response.status_code == status, response.content.decode()[:500]
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert_language_links(html)
    return html


def assert_language_links(html: str) -> None:
    assert re.search(r'<a href="/language/ja/\?next=[^"]*"[^>]*>日本語</a>', html), html
    assert re.search(r'<a href="/language/en/\?next=[^"]*"[^>]*>English</a>', html), html


def assert_no_japanese_but_data(html: str, *data: str) -> None:
    """Japanese left only in what operators and providers typed (names, the 同意書) and the
    language link's own 日本語."""
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    for value in ("日本語", *data):
        text = text.replace(value, "")
    assert not JAPANESE.search(text), JAPANESE.findall(text)[:20]


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="Test Provider", service_name="Test Service")


def test_it_shows_the_login_page_in_english_to_an_english_browser(client, db):
    html = english(client, reverse("portal:login"))
    assert "Log in" in html
    assert "FLET&#x27;S number" in html or "FLET'S number" in html
    assert "Access key" in html
    assert_no_japanese_but_data(html)


def test_it_keeps_japanese_by_default(client, db):
    html = client.get(reverse("portal:login")).content.decode()
    assert '<html lang="ja">' in html
    assert (
        "「フレッツナンバー」「アクセスキー」を入力し、【ログイン】ボタンをクリックしてください。"
        in html
    )
    assert_language_links(html)


def test_it_explains_login_errors_in_english(client, alice):
    response = client.post(reverse("portal:login"), {"flets_number": "", "access_key": ""}, **EN)
    html = response.content.decode()
    assert "Please enter your FLET&#x27;S number." in html
    response = client.post(
        reverse("portal:login"),
        {"flets_number": alice.flets_number, "access_key": "WRONG999"},
        **EN,
    )
    assert "The FLET&#x27;S number or access key is incorrect." in response.content.decode()


def test_it_shows_the_top_page_in_english(alice_client):
    html = english(alice_client, reverse("portal:top"))
    assert "Service Application Portal" in html
    assert "Line Information Notification (※1)" in html
    assert "Details / Change" in html
    assert "Customer ID" in html
    assert_no_japanese_but_data(html)


def test_it_shows_the_other_pages_in_english(alice_client, alice, provider, agreement):
    set_notify(alice, provider)
    html = english(alice_client, reverse("notification:usage_detail"))
    assert "Line Information Notification: usage details" in html
    assert "Set to “Do not notify”" in html
    assert "Service Application Portal" in html  # 設定方法
    assert_no_japanese_but_data(html)
    html = english(alice_client, reverse("portal:privacy"))
    assert "Privacy policy" in html
    assert_no_japanese_but_data(html)
    html = english(alice_client, reverse("portal:service_detail", kwargs={"code": "security"}))
    assert "Security (※1) / License Plus: usage details" in html
    assert_no_japanese_but_data(html)


def test_it_walks_flow_a_in_english(alice_client, alice, provider, agreement):
    set_notify(alice, provider)
    flow_id = start_stop(alice_client, provider)
    html = english(alice_client, step_url("consent", flow_id))
    assert "I agree" in html and "I do not agree" in html
    assert_no_japanese_but_data(html, agreement.title, agreement.body)
    agree(alice_client, flow_id, agreement)

    html = english(alice_client, step_url("applicant", flow_id))
    assert "Applicant details" in html and "※Contact phone number" in html
    assert_no_japanese_but_data(html, *"～∥－￠￡￢")  # the characters it warns of
    response = alice_client.post(step_url("applicant", flow_id), {"name": ""}, **EN)
    html = response.content.decode()
    assert "Please enter your name." in html
    assert "Please enter your contact phone number." in html
    assert "Please choose whether you would like the completion email." in html
    assert_no_japanese_but_data(html, *"～∥－￠￡￢")

    fill_applicant(alice_client, flow_id)
    html = english(alice_client, step_url("confirm", flow_id))
    assert "Line Information Notification: confirm changes" in html
    assert "Do not notify" in html and "Submit" in html
    assert_no_japanese_but_data(html, "西日本　太郎")

    response = alice_client.post(step_url("confirm", flow_id), **EN)
    assert response.status_code == 302
    application = Application.objects.get(line=alice)
    assert application.language == "en"
    html = english(alice_client, response["Location"])
    assert "Line Information Notification: application received" in html
    assert "Received" in html
    assert_no_japanese_but_data(html, "西日本　太郎", agreement.title)

    html = english(alice_client, reverse("notification:history"))
    assert "Application history" in html and "Set to “Do not notify”" in html
    assert_no_japanese_but_data(html)


def test_it_shows_flow_b_and_refusals_in_english(alice_client, alice, provider, agreement):
    flow_id = start_notify(alice_client)
    html = english(alice_client, step_url("register", flow_id))
    assert "Line Information Notification: register “Notify”" in html
    assert "Total: 1" in html and "(page 1 of 1)" in html
    assert_no_japanese_but_data(html)
    html = english(alice_client, step_url("confirm", flow_id), status=400)
    assert "This page cannot be shown until the previous step is complete." in html
    assert_no_japanese_but_data(html)


def test_a_japanese_application_stays_japanese(alice_client, alice, provider, agreement):
    set_notify(alice, provider)
    flow_id = start_stop(alice_client, provider)
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id)
    submit(alice_client, flow_id)
    assert Application.objects.get(line=alice).language == "ja"


def test_it_shows_the_disclosure_history_in_english(alice_client, alice, provider):
    set_notify(alice, provider)
    make_disclosure(alice, provider)
    html = english(alice_client, reverse("providers:history"))
    assert "Disclosure history" in html and "Times provided" in html
    assert_no_japanese_but_data(html)
    html = english(alice_client, reverse("providers:provider_history", kwargs={"code": "W0099"}))
    assert "Address queried" in html
    assert_no_japanese_but_data(html)
    response = alice_client.get(reverse("providers:history_csv"), **EN)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith("Service,Service provider,First provided,Last provided,Times provided")


def test_it_writes_dates_in_english(alice_client, alice, provider):
    at = datetime(2026, 11, 26, 11, 5, 17, tzinfo=ZoneInfo("Asia/Tokyo"))
    application = make_application(alice, [provider], received_at=at)
    url = reverse("notification:receipt", kwargs={"receipt_number": application.receipt_number})
    html = english(alice_client, url)
    assert '<td data-testid="received-at">26 November 2026 11:05:17 JST</td>' in html
    html = alice_client.get(url).content.decode()
    assert '<td data-testid="received-at">2026年11月26日 11時05分17秒</td>' in html
    html = english(alice_client, reverse("notification:history"))
    assert "26 November 2026 11:05:17 JST" in html


def test_the_bad_request_page_is_in_english_too(client, db):
    response = client.get("/notification/?q=%00", **EN)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The request contains a character that cannot be used (NUL)." in html
    assert_language_links(html)
    assert_no_japanese_but_data(html)


def test_the_language_link_keeps_the_choice(alice_client):
    response = alice_client.get("/language/en/?next=/notification/history/")
    assert response.status_code == 302
    assert response["Location"] == "/notification/history/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # Kept without Accept-Language, and over it.
    html = alice_client.get(reverse("portal:top")).content.decode()
    assert '<html lang="en">' in html
    alice_client.get("/language/ja/?next=/")
    html = alice_client.get(reverse("portal:top"), **EN).content.decode()
    assert '<html lang="ja">' in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_the_language_link_goes_back_only_to_this_site(client, db, target):
    response = client.get("/language/en/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:top")


def test_the_language_link_knows_only_its_languages(client, db):
    assert client.get("/language/fr/?next=/").status_code == 404


@override_settings(LANGUAGE_COOKIE_SECURE=True)
def test_the_language_cookie_is_secure_where_configured(client, db):
    cookie = client.get("/language/en/?next=/").cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"]


def test_production_settings_protect_the_language_cookie():
    text = (Path(settings.BASE_DIR) / "wso_portal" / "settings" / "prod.py").read_text()
    assert 'LANGUAGE_COOKIE_NAME = "__Host-language"' in text
    assert "LANGUAGE_COOKIE_SECURE = True" in text


def test_the_admin_stays_japanese(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client.get("/admin/", **EN).content.decode()
    assert "運用管理" in html
    assert "Site administration" not in html
    assert 'lang="ja"' in html
    html = admin_client.get("/admin/notification/application/", **EN).content.decode()
    assert "申込" in html


def test_the_completion_mail_is_in_the_application_language(db, alice, provider):
    at = datetime(2026, 11, 26, 11, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    english_one = make_application(alice, [provider], direction="stop", received_at=at)
    english_one.language = "en"
    english_one.save(update_fields=["language"])
    other = make_provider(code="W0100", name="Other")
    japanese_one = make_application(alice, [other], received_at=at)
    run_due_work(now=english_one.due_at)
    assert len(mail.outbox) == 2, [m.subject for m in mail.outbox]
    sent = next(m for m in mail.outbox if english_one.receipt_number in m.subject)
    assert sent.subject == (
        "[NTT WEST] Line Information Notification: work completed "
        f"(application {english_one.receipt_number})"
    )
    assert "Dear 山田太郎," in sent.body
    assert "Completed at: " in sent.body and " JST" in sent.body
    assert "- Test Service / W0099 Test Provider: Do not notify" in sent.body
    assert_no_japanese_but_data(sent.body, "山田太郎")
    japanese = next(m for m in mail.outbox if japanese_one.receipt_number in m.subject)
    assert japanese.subject.startswith("【NTT西日本】回線情報通知 工事完了のお知らせ")
    assert "・" in japanese.body and "完了日時: " in japanese.body
