"""Turn a lost database into a clean 503 instead of a stack trace."""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.template.response import SimpleTemplateResponse

logger = logging.getLogger(__name__)

MESSAGE = "The database is unavailable right now. Nothing was changed; please try again in a moment."


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)) or not _is_connection_error(
            exception
        ):
            return None
        logger.warning("database unavailable: %s", exception)
        if request.path.startswith("/api/") or request.path == "/healthz":
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = SimpleTemplateResponse("503.html", {"message": MESSAGE}, status=503).render()
        response["Retry-After"] = "5"
        return response


def _is_connection_error(exception):
    """Locks and constraint races are not outages; lost or refused connections are."""
    if isinstance(exception, InterfaceError):
        return True
    text = str(exception).lower()
    return isinstance(exception, DatabaseError) and any(
        phrase in text
        for phrase in ("connect", "server closed", "terminating connection", "shutting down", "starting up")
    )
