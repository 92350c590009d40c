from django.http import HttpResponse


def top(request):
    return HttpResponse("top")


def login(request):
    return HttpResponse("login")


def logout(request):
    return HttpResponse("logout")


def service_detail(request, code):
    return HttpResponse(code)


def privacy(request):
    return HttpResponse("privacy")
