import random

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from .models import Customer, Item, Order, Visit

ROWS = 100_000
CATEGORIES = ROWS // 40


def db(request):
    """Three indexed queries on 100,000-row tables, a 40-row table rendered."""
    customer = Customer.objects.get(pk=random.randint(1, ROWS))
    orders = list(Order.objects.filter(customer=customer).order_by("-created")[:5])
    items = list(Item.objects.filter(category=random.randint(1, CATEGORIES)).order_by("id")[:40])
    return render(
        request, "baseline/table.html", {"customer": customer, "orders": orders, "items": items}
    )


@login_required
def session(request):
    """A logged-in database session and its user, as plain text."""
    return HttpResponse(f"{request.user.username}\n", content_type="text/plain")


@login_required
def write(request):
    """A logged-in database session, then one row inserted, committed on its own before the
    answer (PostgreSQL's default synchronous_commit: durably), as a look-up logs a disclosure."""
    Visit.objects.create(user=request.user, path=request.path)
    return HttpResponse(f"{request.user.username}\n", content_type="text/plain")
