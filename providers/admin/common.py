"""What the providers' admin pages share: the provider search and the pages of their own steps."""

import re

from django.template.response import TemplateResponse

from notification.models import ServiceProvider
from wso_portal.admin import no_store

PROVIDER_CODE = re.compile(r"[A-Z][0-9]{4}")


def provider_lookup(term: str) -> dict:
    """A provider code by its unique index; other words, the providers whose name has them."""
    if PROVIDER_CODE.fullmatch(term):
        return {"provider__code": term}
    return {"provider__in": ServiceProvider.objects.filter(name__icontains=term).values("pk")}


class StepPageMixin:
    """An admin step of its own (templates/admin/step_page.html), never cached: a secret shown
    once, or a confirmation."""

    def _page(self, request, template, title, **context):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            **context,
        }
        return no_store(TemplateResponse(request, template, context))
