"""Screen 3's table rows, built in Python as Django's admin builds its change list's rows
(format_html): rendered node by node, its 20 rows of a dozen variables each took a third of
the page's time (profiled). Every value is escaped as the template would escape it."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

register = template.Library()

# Each cell names its column (data-label), which a phone shows as the row becomes a card; the
# box sits in a label of a finger's size (static/css/portal.css).
ROW = (
    '<tr data-provider="{}"><td class="select"><input type="hidden" name="shown" value="{}">{}'
    '</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
    '<td class="status" data-label="{}">{}</td></tr>'
)
IN_WORK_BOX = '<span class="tick"><input type="checkbox" disabled aria-label="{}"></span>'
BOX = (
    '<label class="tick" for="provider-{}"><input type="checkbox" name="provider" value="{}"'
    ' id="provider-{}" aria-label="{}"></label>'
)
CHECKED_BOX = BOX.replace('"></label>', '" checked></label>')


@register.simple_tag
def register_rows(providers, selected):
    """Each provider of the page: its tick box (disabled while 工事中, ticked when picked on
    any page of this flow), service name, 「code name」 and 通知設定."""
    in_work, not_notified = gettext("工事中"), gettext("通知しない")
    headings = (gettext("サービス名"), gettext("サービス提供者名"), gettext("通知設定"))
    return format_html_join(
        "\n",
        ROW,
        (_register_row(p, selected, in_work, not_notified, headings) for p in providers),
    )


def _register_row(provider, selected, in_work: str, not_notified: str, headings) -> tuple:
    if provider.in_progress:
        label = gettext("%(code)s %(name)s（工事中）") % {
            "code": provider.code,
            "name": provider.name,
        }
        box, status = format_html(IN_WORK_BOX, label), in_work
    else:
        shape = CHECKED_BOX if provider.pk in selected else BOX
        box = format_html(shape, provider.pk, provider.pk, provider.pk, str(provider))
        status = not_notified
    service, name, setting = headings
    return (
        provider.code,
        provider.pk,
        box,
        service,
        provider.service_name,
        name,
        str(provider),
        setting,
        status,
    )
