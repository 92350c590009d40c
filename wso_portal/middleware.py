class NoStoreForSubscribersMiddleware:
    """Pages seen by a logged-in subscriber carry personal data: never cache them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated or request.path.startswith("/login"):
            response["Cache-Control"] = "no-store"
        return response
