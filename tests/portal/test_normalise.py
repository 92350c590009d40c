import pytest

from wso_portal.login import normalise


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06012345678", "06012345678"),
        ("060-1234-5678", "06012345678"),
        ("060 1234 5678", "06012345678"),
        (" 060\t1234\u30005678 ", "06012345678"),  # tab and full-width space
        ("０６０－１２３４－５６７８", "06012345678"),  # full-width digits and minus
        ("060‐1234‑5678", "06012345678"),  # hyphen, non-breaking hyphen
        ("060‒1234–5678", "06012345678"),  # figure dash, en dash
        ("060—1234―5678", "06012345678"),  # em dash, horizontal bar
        ("060−1234ー5678", "06012345678"),  # minus sign, katakana prolonged sound mark
        ("060ｰ1234-5678", "06012345678"),  # half-width prolonged sound mark
        ("abcd2345", "ABCD2345"),
        ("ＡＢＣＤ２３４５", "ABCD2345"),
        ("ａｂｃｄ－２３４５", "ABCD2345"),
        ("AB CD 23 45", "ABCD2345"),
        ("", ""),
    ],
)
def test_it_normalises_what_people_type(typed, stored):
    assert normalise(typed) == stored


def test_it_keeps_other_characters_for_the_format_check_to_refuse():
    assert normalise("060.1234.5678") == "060.1234.5678"
    assert normalise("ABCD_2345") == "ABCD_2345"
