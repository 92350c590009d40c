from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def usage_detail(request):
    return HttpResponse("ご利用状況詳細")


@login_required
def history(request):
    return HttpResponse("申込履歴")
