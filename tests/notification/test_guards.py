"""Every step re-checks on the server what it relies on: refused clearly, never a change."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from agreements.models import AgreementVersion
from notification import flow as flows
from notification.models import Application, Direction, NotificationSetting
from notification.views import (
    MSG_AGREEMENT_REVISED,
    MSG_BAD_PICK,
    MSG_CHOICE_CHANGED,
    MSG_NO_AGREEMENT,
    MSG_NOT_AGREED,
    MSG_PICK_NOTIFY,
    MSG_PICK_STOP,
)
from tests.factories import make_agreement, make_application, make_provider, set_notify

from .flow_helpers import (
    agree,
    fill_applicant,
    flow_id_of,
    start_notify,
    start_stop,
    step_url,
    submit,
    walk_to_confirm,
)

pytestmark = pytest.mark.django_db


def refused(response, message, status=400):
    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert reverse("notification:usage_detail") in html  # a way back
    return html


@pytest.fixture
def notifying(alice):
    provider = make_provider()
    set_notify(alice, provider)
    return provider


# --- screen 2 -------------------------------------------------------------------------------


def test_it_asks_for_a_pick_when_nothing_is_ticked(alice_client, notifying):
    response = alice_client.post(
        reverse("notification:usage_detail"), {"action": "stop"}, follow=True
    )
    assert response.redirect_chain == [(reverse("notification:usage_detail"), 302)]
    assert MSG_PICK_STOP in response.content.decode()
    assert not alice_client.session.get(flows.SESSION_KEY)


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "１"])
def test_it_refuses_a_malformed_provider_id(alice_client, notifying, value):
    response = alice_client.post(
        reverse("notification:usage_detail"), {"action": "stop", "provider": [value]}
    )
    refused(response, MSG_BAD_PICK)


def test_it_refuses_another_lines_provider_for_flow_a(alice_client, bob, notifying):
    bobs = make_provider()
    set_notify(bob, bobs)
    response = alice_client.post(
        reverse("notification:usage_detail"),
        {"action": "stop", "provider": [notifying.pk, bobs.pk]},
    )
    refused(response, MSG_CHOICE_CHANGED, 409)
    assert not alice_client.session.get(flows.SESSION_KEY)


def test_it_refuses_a_provider_that_is_not_notifying_for_flow_a(alice_client, alice):
    off = make_provider()
    set_notify(alice, off, notify=False)
    response = alice_client.post(
        reverse("notification:usage_detail"), {"action": "stop", "provider": [off.pk]}
    )
    refused(response, MSG_CHOICE_CHANGED, 409)


def test_it_refuses_an_inactive_provider_for_flow_a(alice_client, alice):
    gone = make_provider(active=False)
    set_notify(alice, gone)
    page = alice_client.get(reverse("notification:usage_detail")).content.decode()
    assert gone.code not in page
    response = alice_client.post(
        reverse("notification:usage_detail"), {"action": "stop", "provider": [gone.pk]}
    )
    refused(response, MSG_CHOICE_CHANGED, 409)


def test_it_refuses_a_provider_in_an_open_application(alice_client, alice, notifying, agreement):
    make_application(alice, [notifying], direction=Direction.STOP, agreement=agreement)
    page = alice_client.get(reverse("notification:usage_detail")).content.decode()
    assert "工事中" in page
    assert f'name="provider" value="{notifying.pk}"' not in page
    response = alice_client.post(
        reverse("notification:usage_detail"), {"action": "stop", "provider": [notifying.pk]}
    )
    refused(response, MSG_CHOICE_CHANGED, 409)


# --- screen 3 -------------------------------------------------------------------------------


def test_register_lists_only_the_lines_choice_and_marks_work_in_progress(
    alice_client, alice, bob, agreement
):
    free = make_provider(code="W0001")
    busy = make_provider(code="W0002")
    make_application(alice, [busy], direction=Direction.STOP, agreement=agreement)
    on = make_provider(code="W0003")
    set_notify(alice, on)
    make_provider(code="W0004", active=False)
    bobs_on = make_provider(code="W0005")
    set_notify(bob, bobs_on)  # notifying for Bob only: still a choice for Alice
    flow_id = start_notify(alice_client)
    html = alice_client.get(step_url("register", flow_id)).content.decode()
    assert "件数: 3件" in html
    assert "W0001" in html and "W0002" in html and "W0005" in html
    assert "W0003" not in html and "W0004" not in html
    assert f'name="provider" value="{free.pk}"' in html
    assert f'name="provider" value="{busy.pk}"' not in html
    assert "工事中" in html


@pytest.mark.parametrize("case", ["notifying", "inactive", "open", "unknown"])
def test_register_refuses_a_provider_outside_the_choice(alice_client, alice, agreement, case):
    provider = make_provider(active=case != "inactive")
    if case == "notifying":
        set_notify(alice, provider)
    if case == "open":
        make_application(alice, [provider], direction=Direction.STOP, agreement=agreement)
    pk = provider.pk + 1000 if case == "unknown" else provider.pk
    flow_id = start_notify(alice_client)
    response = alice_client.post(
        step_url("register", flow_id),
        {"shown": [pk], "provider": [pk], "action": "next", "page": "1"},
    )
    refused(response, MSG_CHOICE_CHANGED, 409)
    assert alice_client.session[flows.SESSION_KEY][flow_id]["providers"] == []


def test_register_refuses_a_tick_that_was_not_on_the_page(alice_client):
    provider = make_provider()
    flow_id = start_notify(alice_client)
    response = alice_client.post(
        step_url("register", flow_id), {"provider": [provider.pk], "action": "next"}
    )
    refused(response, MSG_BAD_PICK)


def test_register_asks_for_a_pick_when_nothing_is_ticked(alice_client):
    provider = make_provider()
    flow_id = start_notify(alice_client)
    response = alice_client.post(
        step_url("register", flow_id),
        {"shown": [provider.pk], "action": "next", "page": "1"},
        follow=True,
    )
    assert response.redirect_chain == [(step_url("register", flow_id) + "?page=1", 302)]
    assert MSG_PICK_NOTIFY in response.content.decode()


def test_register_is_not_part_of_flow_a(alice_client, notifying):
    flow_id = start_stop(alice_client, notifying)
    response = alice_client.get(step_url("register", flow_id))
    refused(response, flows.NOT_REACHABLE)


def test_paging_keeps_the_ticks(alice_client, settings):
    settings.WSO_PROVIDERS_PER_PAGE = 2
    providers = [make_provider(code=f"W{n:04d}") for n in range(1, 6)]  # 3 pages
    flow_id = start_notify(alice_client)
    url = step_url("register", flow_id)

    page1 = alice_client.get(url).content.decode()
    assert "件数: 5件" in page1 and "(ページ: 1/3ページ)" in page1
    response = alice_client.post(
        url,
        {"shown": [providers[0].pk, providers[1].pk], "provider": [providers[0].pk], "goto": "2"},
    )
    assert response["Location"] == url + "?page=2"
    page2 = alice_client.get(response["Location"]).content.decode()
    assert "(ページ: 2/3ページ)" in page2
    assert f'value="{providers[2].pk}"' in page2
    response = alice_client.post(
        url,
        {"shown": [providers[2].pk, providers[3].pk], "provider": [providers[3].pk], "goto": "1"},
    )
    page1 = alice_client.get(response["Location"]).content.decode()
    assert _checked(page1, providers[0].pk) and not _checked(page1, providers[1].pk)

    # Unticking on page 1 keeps page 2's tick; 「通知する」に設定 takes both pages' ticks.
    response = alice_client.post(
        url,
        {
            "shown": [providers[0].pk, providers[1].pk],
            "provider": [providers[1].pk],
            "action": "next",
            "page": "1",
        },
    )
    assert response["Location"] == step_url("consent", flow_id)
    assert alice_client.session[flows.SESSION_KEY][flow_id]["providers"] == sorted(
        [providers[1].pk, providers[3].pk]
    )
    page2 = alice_client.get(url + "?page=2").content.decode()
    assert _checked(page2, providers[3].pk) and not _checked(page2, providers[2].pk)


def _checked(html: str, pk: int) -> bool:
    start = html.index(f'name="provider" value="{pk}"')
    return "checked" in html[start : html.index(">", start)]


# --- step order, sessions and age -----------------------------------------------------------


@pytest.mark.parametrize("step", ["applicant", "confirm"])
def test_a_later_step_is_refused_until_the_earlier_ones_are_done(alice_client, notifying, step):
    flow_id = start_stop(alice_client, notifying)
    response = alice_client.get(step_url(step, flow_id))
    html = refused(response, flows.NOT_REACHABLE)
    assert step_url("consent", flow_id) in html  # the way on


def test_confirm_is_refused_before_the_applicant_step(alice_client, notifying, agreement):
    flow_id = start_stop(alice_client, notifying)
    agree(alice_client, flow_id, agreement)
    response = alice_client.post(step_url("confirm", flow_id))
    html = refused(response, flows.NOT_REACHABLE)
    assert step_url("applicant", flow_id) in html
    assert not Application.objects.exists()


def test_consent_of_a_flow_b_without_ticks_is_refused(alice_client):
    make_provider()
    flow_id = start_notify(alice_client)
    html = refused(alice_client.get(step_url("consent", flow_id)), flows.NOT_REACHABLE)
    assert step_url("register", flow_id) in html


def test_an_unknown_flow_is_refused(alice_client):
    response = alice_client.get(step_url("consent", "no-such-flow"))
    refused(response, flows.NOT_FOUND)


def test_a_flow_of_another_session_is_refused(alice, alice_client, notifying, agreement):
    flow_id = start_stop(alice_client, notifying)
    other = Client()
    other.force_login(alice.user)  # the same line, in another browser
    for step in ("consent", "applicant", "confirm"):
        refused(other.get(step_url(step, flow_id)), flows.NOT_FOUND)
    refused(other.post(step_url("confirm", flow_id)), flows.NOT_FOUND)
    assert not Application.objects.exists()


def test_bob_cannot_use_alices_flow(alice_client, bob, notifying, agreement):
    flow_id = start_stop(alice_client, notifying)
    walk_to_confirm(alice_client, flow_id, agreement)
    bob_client = Client()
    bob_client.force_login(bob.user)
    refused(bob_client.post(step_url("confirm", flow_id)), flows.NOT_FOUND)
    assert not Application.objects.exists()


def test_an_expired_flow_is_refused_and_forgotten(alice_client, notifying, agreement, settings):
    flow_id = start_stop(alice_client, notifying)
    walk_to_confirm(alice_client, flow_id, agreement)
    session = alice_client.session
    session[flows.SESSION_KEY][flow_id]["created"] = time.time() - 31 * 60
    session.save()
    settings.WSO_FLOW_MAX_AGE_SECONDS = 30 * 60
    refused(submit(alice_client, flow_id), flows.EXPIRED)
    assert flow_id not in alice_client.session[flows.SESSION_KEY]
    assert not Application.objects.exists()


def test_a_choice_that_changed_meanwhile_is_refused_at_every_step(
    alice_client, alice, notifying, agreement
):
    flow_id = start_stop(alice_client, notifying)
    walk_to_confirm(alice_client, flow_id, agreement)
    NotificationSetting.objects.filter(line=alice).update(notify=False)  # e.g. an operator
    refused(submit(alice_client, flow_id), MSG_CHOICE_CHANGED, 409)
    assert not Application.objects.exists()
    assert flow_id not in alice_client.session[flows.SESSION_KEY]


def test_a_provider_taken_by_another_flow_is_refused_at_submission(
    alice_client, notifying, agreement
):
    first = start_stop(alice_client, notifying)
    second = start_stop(alice_client, notifying)
    walk_to_confirm(alice_client, first, agreement)
    walk_to_confirm(alice_client, second, agreement)
    assert submit(alice_client, first).status_code == 302
    refused(submit(alice_client, second), MSG_CHOICE_CHANGED, 409)
    assert Application.objects.count() == 1


# --- consent --------------------------------------------------------------------------------


def test_doushinai_returns_to_usage_detail_with_nothing_applied(alice_client, notifying):
    make_agreement()
    flow_id = start_stop(alice_client, notifying)
    response = alice_client.post(step_url("consent", flow_id), {"action": "disagree"}, follow=True)
    assert response.redirect_chain == [(reverse("notification:usage_detail"), 302)]
    assert MSG_NOT_AGREED in response.content.decode()
    assert flow_id not in alice_client.session[flows.SESSION_KEY]
    assert not Application.objects.exists()
    refused(alice_client.get(step_url("applicant", flow_id)), flows.NOT_FOUND)


def test_consent_shows_the_current_version(alice_client, notifying):
    make_agreement(version=1)
    newer = AgreementVersion.objects.create(
        version=2, title="「回線情報通知」の利用にあたっての同意書", body="F. 免責\n第2版の本文"
    )
    flow_id = start_stop(alice_client, notifying)
    html = alice_client.get(step_url("consent", flow_id)).content.decode()
    assert "第2版の本文" in html
    assert "以下の同意書に同意いただく必要があります。" in html
    assert f'name="version" value="{newer.pk}"' in html


def test_without_any_agreement_the_consent_step_says_so(alice_client, notifying):
    flow_id = start_stop(alice_client, notifying)
    response = alice_client.get(step_url("consent", flow_id))
    refused(response, MSG_NO_AGREEMENT, 503)


def test_a_revised_agreement_must_be_agreed_again(alice_client, notifying, agreement):
    flow_id = start_stop(alice_client, notifying)
    walk_to_confirm(alice_client, flow_id, agreement)
    make_agreement(version=2)
    response = submit(alice_client, flow_id)
    assert response["Location"] == step_url("consent", flow_id)
    assert not Application.objects.exists()
    follow = alice_client.get(response["Location"])
    assert MSG_AGREEMENT_REVISED in follow.content.decode()
    # Agreeing to the old version's id is not accepted either.
    response = alice_client.post(
        step_url("consent", flow_id), {"action": "agree", "version": str(agreement.pk)}
    )
    assert response["Location"] == step_url("consent", flow_id)


# --- applicant and 前画面へ戻る -------------------------------------------------------------


def test_applicant_errors_show_next_to_the_field_and_keep_the_input(
    alice_client, notifying, agreement
):
    flow_id = start_stop(alice_client, notifying)
    agree(alice_client, flow_id, agreement)
    response = alice_client.post(
        step_url("applicant", flow_id),
        {"name": "西日本～太郎", "phone": "12345", "email": "taro@docomo.ne.jp"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "次の文字は使えません: ～" in html
    assert "ご連絡先電話番号は0から始まる10桁または11桁の数字で入力してください。" in html
    assert "携帯電話のメールアドレスはご利用になれません。" in html
    assert "工事完了通知を希望されるかどうかを選択してください。" in html
    assert 'value="西日本～太郎"' in html and 'value="12345"' in html
    assert 'value="taro@docomo.ne.jp"' in html
    assert html.count('aria-invalid="true"') == 3
    assert "applicant" not in alice_client.session[flows.SESSION_KEY][flow_id]
    refused(alice_client.get(step_url("confirm", flow_id)), flows.NOT_REACHABLE)


def test_zengamen_e_modoru_keeps_everything(alice_client, notifying, agreement):
    flow_id = start_stop(alice_client, notifying)
    agree(alice_client, flow_id, agreement)
    fill_applicant(
        alice_client,
        flow_id,
        name="ｻﾄｳ ﾊﾅｺ",
        phone="０３１２３４５６７８",
        email="hanako@example.jp",
        wants_completion_mail="no",
    )
    confirm = alice_client.get(step_url("confirm", flow_id)).content.decode()
    back = step_url("applicant", flow_id)
    assert f'href="{back}"' in confirm and "前画面へ戻る" in confirm
    html = alice_client.get(back).content.decode()
    assert 'value="サトウ　ハナコ"' in html
    assert 'value="0312345678"' in html
    assert 'value="hanako@example.jp"' in html
    assert 'value="no" checked' in html and 'value="yes" checked' not in html
    # Changing one field keeps the others.
    fill_applicant(
        alice_client,
        flow_id,
        name="サトウ　ハナコ",
        phone="03-1234-5678",
        email="hanako@example.jp",
        wants_completion_mail="yes",
    )
    html = alice_client.get(step_url("confirm", flow_id)).content.decode()
    assert "03-1234-5678" in html and "希望する" in html


def test_the_steps_show_where_the_subscriber_is(alice_client, notifying, agreement):
    flow_id = start_stop(alice_client, notifying)
    html = alice_client.get(step_url("consent", flow_id)).content.decode()
    assert '<li aria-current="step">同意書のご確認</li>' in html
    agree(alice_client, flow_id, agreement)
    html = alice_client.get(step_url("applicant", flow_id)).content.decode()
    assert '<li aria-current="step">申込者情報入力</li>' in html
    assert '<li class="steps__done">同意書のご確認</li>' in html


def test_every_post_needs_the_csrf_token(alice, notifying):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.post(
        reverse("notification:usage_detail"), {"action": "stop", "provider": [notifying.pk]}
    )
    assert response.status_code == 403


def test_flow_ids_are_unguessable(alice_client, notifying):
    response = alice_client.post(
        reverse("notification:usage_detail"), {"action": "stop", "provider": [notifying.pk]}
    )
    assert len(flow_id_of(response)) >= 20


def test_a_session_keeps_only_its_newest_flows(alice_client, notifying):
    ids = [start_stop(alice_client, notifying) for _ in range(flows.MAX_FLOWS + 3)]
    kept = alice_client.session[flows.SESSION_KEY]
    assert len(kept) == flows.MAX_FLOWS
    assert ids[-1] in kept and ids[0] not in kept
    refused(alice_client.get(step_url("consent", ids[0])), flows.NOT_FOUND)
