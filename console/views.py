"""事業者ポータル's pages. Every query starts from request.provider (provider_required), so an id
of another provider's key, event, attempt or disclosure is a 404 like an id that does not exist.
Every write goes through the services the admin uses, and is audited as the admin audits it."""

from django.shortcuts import render

from .accounts import provider_required


@provider_required
def dashboard(request):
    return render(request, "console/dashboard.html", {})
