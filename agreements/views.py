"""Each version of the 同意書 at its own address, for as long as the portal runs.

Public, like the privacy policy: the text is the same for every subscriber and carries no
personal data, and a consent record's policyUrl must open for whoever is shown the record
(the subscriber on another device, an adviser, an authority) without the subscriber's login.
A version not yet in force is not shown before its day.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import AgreementVersion
from .services import current_version


def _published(version: int) -> AgreementVersion:
    document = AgreementVersion.objects.filter(
        version=version, effective_from__lte=timezone.now()
    ).first()
    if document is None:
        raise Http404
    return document


def version_page(request, version: str):
    document = _published(int(version))
    current = current_version()
    return render(
        request,
        "agreements/version.html",
        {
            "version": document,
            "current": current,
            "superseded": current is not None and current.version != document.version,
        },
    )


def version_text(request, version: str):
    """The text exactly as stored, the bytes whose SHA-256 a consent record gives."""
    document = _published(int(version))
    return HttpResponse(document.body.encode("utf-8"), content_type="text/plain; charset=utf-8")
