def line(request):
    """The logged-in subscriber's line, for the header's お客様ID."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"line": None}
    return {"line": getattr(user, "line", None)}
