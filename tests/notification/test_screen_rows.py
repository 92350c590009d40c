"""Screen 3's rows, built in Python (notification/templatetags/screen_rows.py): each value
escaped as a template would, a 工事中 row disabled, a picked one ticked, in either language."""

from django.template import Context, Template
from django.utils import translation

from notification.models import ServiceProvider


def provider(pk: int, code: str, name: str, service_name: str, in_progress: bool = False):
    row = ServiceProvider(pk=pk, code=code, name=name, service_name=service_name)
    row.in_progress = in_progress
    return row


def rows(providers, selected=frozenset()) -> str:
    template = Template("{% load screen_rows %}{% register_rows providers selected %}")
    return template.render(Context({"providers": providers, "selected": selected}))


def test_each_row_has_its_box_service_name_label_and_setting():
    html = rows([provider(7, "A0001", "西日本<通信>", 'IP"電話"')], selected={7})
    assert html == (
        '<tr data-provider="A0001"><td class="select"><input type="hidden" name="shown" value="7">'
        '<label class="tick" for="provider-7"><input type="checkbox" name="provider" value="7"'
        ' id="provider-7" aria-label="A0001 西日本&lt;通信&gt;" checked></label></td>'
        '<td data-label="サービス名">IP&quot;電話&quot;</td>'
        '<td data-label="サービス提供者名">A0001 西日本&lt;通信&gt;</td>'
        '<td class="status" data-label="通知設定">通知しない</td></tr>'
    )


def test_a_row_not_picked_is_not_ticked_and_one_in_work_is_disabled():
    html = rows([provider(1, "B0001", "甲", "乙"), provider(2, "B0002", "丙&", "丁", True)])
    first, second = html.split("\n")
    assert 'id="provider-1" aria-label="B0001 甲">' in first and "checked" not in first
    assert '<input type="checkbox" disabled aria-label="B0002 丙&amp;（工事中）">' in second
    assert 'name="provider"' not in second
    assert second.endswith('<td class="status" data-label="通知設定">工事中</td></tr>')


def test_the_rows_speak_english_when_the_screens_do():
    with translation.override("en"):
        html = rows([provider(1, "C0001", "甲", "乙"), provider(2, "C0002", "丙", "丁", True)])
    assert '<td class="status" data-label="Notification setting">Do not notify</td>' in html
    assert 'aria-label="C0002 丙 (work in progress)"' in html
    assert html.endswith(
        '<td class="status" data-label="Notification setting">In progress</td></tr>'
    )
