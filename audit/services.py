"""Writing the audit log: one call per operator action, beside the change it records."""

import re

from django.db import models

from wso_portal.login import client_address

from .models import AuditEntry

# Details describe what was done, never a credential: these names are refused outright.
_SECRET_NAME = re.compile(r"password|secret|token|(^|_)key$|access_key|api_key", re.IGNORECASE)


def record(
    request,
    action: str,
    target: models.Model | None = None,
    *,
    operator=None,
    **details,
) -> AuditEntry:
    """One entry for `action` on `target` by the request's user (or `operator`: a user, or the
    username tried for a failed login), from the request's client address.

    The admin's own log calls (audit.receivers) skip a target this request has recorded already,
    so an action that writes a LogEntry as well still gives one audit entry.
    """
    for name in details:
        if _SECRET_NAME.search(name):
            raise ValueError(f"監査ログに秘密の値は記録しません: {name}")
    if operator is None and request is not None:
        operator = getattr(request, "user", None)
    if isinstance(operator, str):
        name, pk = operator, None
    elif operator is not None and operator.is_authenticated:
        name, pk = operator.get_username(), operator.pk
    else:
        name, pk = "", None
    entry = AuditEntry.objects.create(
        operator=name[:150],
        operator_pk=pk,
        client_address=client_address(request) if request is not None else None,
        request_id=getattr(request, "id", "")[:32],
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details,
    )
    if target is not None and request is not None:
        request._audited = {*getattr(request, "_audited", ()), _key(target)}
    return entry


def recorded(request, target: models.Model) -> bool:
    """Whether this request has written an entry about `target` already."""
    return _key(target) in getattr(request, "_audited", ())


def _key(target: models.Model) -> tuple[str, str]:
    return target._meta.label, str(target.pk)
