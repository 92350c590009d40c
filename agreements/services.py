"""The consent step any flow can use: which 同意書 is in force, and who agreed to it."""

from datetime import datetime

from wso_portal.caching import briefly

from .models import Acceptance, AgreementVersion


@briefly
def current_version() -> AgreementVersion | None:
    """The 同意書 subscribers must agree to now, or None when operators have published none."""
    return AgreementVersion.objects.current()


def record_acceptance(*, line, version: AgreementVersion, accepted_at: datetime) -> Acceptance:
    return Acceptance.objects.create(line=line, version=version, accepted_at=accepted_at)
