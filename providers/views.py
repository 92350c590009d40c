"""提供履歴: when the line's お客様ID was provided, per provider and dated, on screen and as CSV.
Every query starts from request.line."""

import csv
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_noop

from wso_portal.decorators import line_required

from . import history as histories

SUMMARY_PER_PAGE = 20
DATED_PER_PAGE = 50
CSV_TIME = "%Y/%m/%d %H:%M:%S"
# In the screens' language, as the tables' headings are (translated in _csv).
SUMMARY_HEADER = [
    gettext_noop("サービス名"),
    gettext_noop("サービス提供者名"),
    gettext_noop("初回提供日時"),
    gettext_noop("最終提供日時"),
    gettext_noop("提供回数"),
]
# 受付番号: the application whose consent the provision rests on (施行規則 第20条).
DATED_HEADER = [
    gettext_noop("提供日時"),
    gettext_noop("照会されたアドレス"),
    gettext_noop("受付番号"),
]
FILE_STEM = gettext_noop("提供履歴")


def _page_context(rows, per_page: int, number: str | None) -> dict:
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(number)
    return {
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number),
        "ellipsis": Paginator.ELLIPSIS,
    }


def _provider_or_404(request, code: str):
    provider = histories.ProviderSummaries(request.line).of(code)
    if provider is None:  # another line's provider looks the same as none at all
        raise Http404
    return provider


@line_required
def history(request):
    """提供履歴: per provider, first and last provided and how many times, last provided first."""
    return render(
        request,
        "providers/history.html",
        {
            **_page_context(
                histories.ProviderSummaries(request.line),
                SUMMARY_PER_PAGE,
                request.GET.get("page"),
            ),
            "retention_days": settings.WSO_DISCLOSURE_RETENTION_DAYS,
        },
    )


@line_required
def provider_history(request, code: str):
    """提供履歴 of one provider: each time the お客様ID was provided, newest first."""
    provider = _provider_or_404(request, code)
    return render(
        request,
        "providers/provider_history.html",
        {
            **_page_context(
                histories.DatedDisclosures(request.line, provider),
                DATED_PER_PAGE,
                request.GET.get("page"),
            ),
            "provider": provider,
            "retention_days": settings.WSO_DISCLOSURE_RETENTION_DAYS,
        },
    )


@line_required
def history_csv(request):
    rows = (
        [p.service_name, f"{p.code} {p.name}", _time(p.first_at), _time(p.last_at), p.times]
        for p in histories.ProviderSummaries(request.line)
    )
    return _csv(f"{gettext(FILE_STEM)}_{request.line.customer_id}", SUMMARY_HEADER, rows)


@line_required
def provider_history_csv(request, code: str):
    provider = _provider_or_404(request, code)
    rows = (
        [_time(at), address, receipt_number or ""]
        for at, address, receipt_number in histories.disclosures(request.line, provider)
        .values_list("at", "address", "application__receipt_number")
        .iterator(chunk_size=2000)
    )
    stem = f"{gettext(FILE_STEM)}_{request.line.customer_id}_{provider.code}"
    return _csv(stem, DATED_HEADER, rows)


# CSV -------------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _time(value) -> str:
    return timezone.localtime(value).strftime(CSV_TIME)


def _cell(value):
    """Provider names are the providers' own words: keep a spreadsheet from running one as a
    formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(stem: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """UTF-8 with a BOM, which Excel needs to read it as UTF-8; streamed, as a long dated list
    need not sit in memory."""
    header = [gettext(heading) for heading in header]

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    filename = f"{stem}_{timezone.localdate():%Y%m%d}.csv"
    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
