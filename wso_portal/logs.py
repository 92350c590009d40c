"""Log lines that can be followed across a request: each request gets an id (X-Request-ID on the
response), every log line carries it, and security events are one key=value line each."""

import contextvars
import logging
import secrets

request_id = contextvars.ContextVar("request_id", default="-")
security_logger = logging.getLogger("wso_portal.security")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = secrets.token_hex(8)
        token = request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
        return True


def security_event(event: str, request=None, **fields) -> None:
    """One line: event=… request_id=… line=… and the fields, never a secret."""
    values = {"event": event}
    if request is not None:
        line = getattr(request, "line", None) or getattr(
            getattr(request, "user", None), "line", None
        )
        if line is not None:
            values["line"] = line.flets_number
    values.update(fields)
    security_logger.info(" ".join(f"{key}={_quoted(value)}" for key, value in values.items()))


def _quoted(value) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
