"""The consent step's services: the version in force and the record of who agreed, when."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agreements.models import Acceptance, AgreementVersion
from agreements.services import current_version, record_acceptance

pytestmark = pytest.mark.django_db


def version(n: int, *, starts) -> AgreementVersion:
    return AgreementVersion.objects.create(
        version=n,
        title="「回線情報通知」の利用にあたっての同意書",
        body=f"第{n}版",
        effective_from=starts,
    )


def test_no_version_means_none():
    assert current_version() is None


def test_the_newest_effective_version_is_current():
    now = timezone.now()
    version(1, starts=now - timedelta(days=30))
    second = version(2, starts=now - timedelta(days=1))
    version(3, starts=now + timedelta(days=1))  # published ahead, not yet in force
    assert current_version() == second


def test_an_acceptance_records_the_line_version_and_time(alice):
    v = version(1, starts=timezone.now() - timedelta(days=1))
    at = timezone.now()
    acceptance = record_acceptance(line=alice, version=v, accepted_at=at)
    stored = Acceptance.objects.get()
    assert stored == acceptance
    assert (stored.line, stored.version, stored.accepted_at) == (alice, v, at)
