"""What English screens said nothing about: the 同意書 and the お知らせ are Japanese (the 同意書's
Japanese text is the binding one, an English rendering follows where operators gave one), and a
name typed in half-width is registered in full-width, which 変更内容確認 says."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import AgreementVersion
from tests.factories import make_provider, set_notify
from tests.notification.flow_helpers import agree, fill_applicant, start_stop, step_url
from wso_portal.models import Announcement

BINDING = "What you agree to is the Japanese text."


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def consent_url(alice_client, alice, agreement):
    provider = make_provider()
    set_notify(alice, provider)
    return step_url("consent", start_stop(alice_client, provider))


def test_the_agreement_says_the_japanese_text_binds_and_offers_english(
    alice_client, agreement, consent_url
):
    AgreementVersion.objects.filter(pk=agreement.pk).update(body_en="A. Provider\nNTT WEST")
    alice_client.cookies["django_language"] = "en"
    html = alice_client.get(consent_url).content.decode()
    assert BINDING in html and "An English rendering, for reference only, follows it." in html
    assert '<div class="agreement" lang="ja" data-testid="agreement-body">A.' in html
    assert '<div class="agreement" lang="en">A. Provider\nNTT WEST</div>' in html
    assert html.index('data-testid="agreement-body"') < html.index('lang="en">A. Provider')


def test_without_a_rendering_it_still_says_which_text_binds(alice_client, consent_url):
    alice_client.cookies["django_language"] = "en"
    html = alice_client.get(consent_url).content.decode()
    assert BINDING in html and "follows it" not in html
    assert 'data-testid="agreement-english"' not in html


def test_the_japanese_screens_are_as_they_were(alice_client, agreement, consent_url):
    AgreementVersion.objects.filter(pk=agreement.pk).update(body_en="A. Provider")
    html = alice_client.get(consent_url).content.decode()
    assert "agreement-binding" not in html and "A. Provider" not in html


def test_the_versions_own_page_carries_the_rendering_in_english(english, agreement):
    AgreementVersion.objects.filter(pk=agreement.pk).update(body_en="A. Provider")
    html = english.get(reverse("agreements:version", args=[1])).content.decode()
    assert BINDING in html and 'lang="en">A. Provider' in html


def test_the_news_says_it_is_in_japanese_only(alice_client):
    Announcement.objects.create(
        text="メンテナンスのお知らせ", publish_from=timezone.now() - timedelta(hours=1)
    )
    alice_client.cookies["django_language"] = "en"
    html = alice_client.get(reverse("portal:top")).content.decode()
    assert "News is published in Japanese only." in html
    assert '<ul class="notice-list" lang="ja" data-testid="announcements">' in html
    alice_client.cookies["django_language"] = "ja"
    assert "announcements-japanese" not in alice_client.get(reverse("portal:top")).content.decode()


@pytest.mark.parametrize(
    ("typed", "said"), [("Nishi Taro", True), ("西日本 太郎", True), ("西日本　太郎", False)]
)
def test_confirm_says_when_the_name_typed_was_converted(
    alice_client, alice, agreement, typed, said
):
    provider = make_provider()
    set_notify(alice, provider)
    flow_id = start_stop(alice_client, provider)
    agree(alice_client, flow_id, agreement)
    fill_applicant(alice_client, flow_id, name=typed)
    alice_client.cookies["django_language"] = "en"
    html = alice_client.get(step_url("confirm", flow_id)).content.decode()
    assert ('data-testid="name-converted"' in html) is said
    if typed == "Nishi Taro":
        assert "Ｎｉｓｈｉ　Ｔａｒｏ" in html
        assert "registered in full-width, as shown" in html
