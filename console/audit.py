"""The console's audit entries: the operator columns name the provider user (e-mail address and
user id), the details its provider, so that an entry says who, for which provider, and what."""

from audit import services as audit

VIA = "console"


def record(request, action, target=None, *, provider, operator=None, **details):
    """`provider` None: a failed login, whose typed e-mail address may be anyone's."""
    code = provider.code if provider is not None else ""
    return audit.record(
        request, action, target, operator=operator, provider=code, via=VIA, **details
    )
