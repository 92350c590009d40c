"""`day` writes what the `date` filter writes for a date, or a moment as its Asia/Tokyo date, in
either language; it only keeps the text."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

CASES = [
    date(2026, 3, 9),
    datetime(2026, 3, 8, 15, 30, tzinfo=UTC),  # 2026/03/09 00:30 in Tokyo
    datetime(2026, 3, 8, 14, 59, tzinfo=UTC),  # still the 8th there
]


def render(source: str, value) -> str:
    return Template("{% load i18n days %}" + source).render(Context({"value": value}))


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("value", CASES)
def test_day_writes_what_date_writes(language, value):
    with translation.override(language):
        shown = render('{{ value|day:_("Y/m/d") }}', value)
        assert shown == render('{{ value|date:_("Y/m/d") }}', value)
    assert shown in {"2026/03/09", "2026/03/08", "9 March 2026", "8 March 2026"}


def test_nothing_is_written_for_no_date():
    assert render('{{ value|day:"Y/m/d"|default:"---" }}', None) == "---"


def test_the_same_day_in_two_languages_is_kept_apart():
    with translation.override("ja"):
        japanese = render('{{ value|day:_("Y/m/d") }}', CASES[0])
    with translation.override("en"):
        english = render('{{ value|day:_("Y/m/d") }}', CASES[0])
    assert (japanese, english) == ("2026/03/09", "9 March 2026")
