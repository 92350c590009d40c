"""申込者情報入力 as GOV.UK would lay it out: ※ on every required field, an error summary of links
to the fields, and each field's hint before its error, both before the input."""

import re

import pytest

from tests.factories import make_provider, set_notify

from .flow_helpers import agree, start_stop, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant_url(alice_client, alice, agreement):
    provider = make_provider()
    set_notify(alice, provider)
    flow_id = start_stop(alice_client, provider)
    agree(alice_client, flow_id, agreement)
    return step_url("applicant", flow_id)


def test_every_required_field_is_marked(alice_client, applicant_url):
    html = alice_client.get(applicant_url).content.decode()
    assert '<label class="form-label" for="id_name">※お名前</label>' in html
    assert '<label class="form-label" for="id_phone">※ご連絡先電話番号</label>' in html
    assert "<legend>※工事完了通知を希望されますか?</legend>" in html
    # Needed only with the mail: said in its hint instead.
    assert '<label class="form-label" for="id_email">ご連絡先メールアドレス</label>' in html
    assert "工事完了通知を希望される場合は必須です。" in html


def test_the_error_summary_links_to_each_field_in_error(alice_client, applicant_url):
    response = alice_client.post(applicant_url, {"name": "髙橋～", "phone": "", "email": ""})
    html = response.content.decode()
    summary = html.split('data-testid="error-summary"')[1].split("</div>")[0]
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)
    assert links == [
        ("id_name", "次の文字は使えません: 髙（「高」をお使いください）、～"),
        ("id_phone", "ご連絡先電話番号を入力してください。"),
        ("id_wants_completion_mail_0", "工事完了通知を希望されるかどうかを選択してください。"),
    ]
    for anchor, _ in links:
        assert f'id="{anchor}"' in html


def test_the_hint_comes_before_the_error_and_both_before_the_input(alice_client, applicant_url):
    html = alice_client.post(applicant_url, {"name": "", "phone": "1"}).content.decode()
    for name in ("name", "phone"):
        hint = html.index(f'id="id_{name}-help"')
        error = html.index(f'id="id_{name}-errors"')
        field = html.index(f'<input type="text" name="{name}"')
        assert hint < error < field, name
    legend = html.index("<legend>")
    assert legend < html.index('id="id_wants_completion_mail-errors"') < html.index('type="radio"')


def test_no_summary_without_errors(alice_client, applicant_url):
    assert "error-summary" not in alice_client.get(applicant_url).content.decode()
