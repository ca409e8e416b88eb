"""Turn a lost database into a clean 503 instead of a stack trace; read the data version once
per read-only request (OneDataVersionPerReadMiddleware).

Django closes a connection that raised at the end of the request, so the next request connects
afresh: when the database is back, the site is back, without restarting anything.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.response import SimpleTemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape

from claims.data_version import one_data_version_per_request

logger = logging.getLogger(__name__)

MESSAGE = "The database is unavailable right now. Nothing was changed; please try again in a moment."
RETRY_AFTER_SECONDS = 5
# Messages of psycopg and sqlite3 that mean "no database", as opposed to a lock or a constraint.
OUTAGE_PHRASES = (
    "connect",  # connection refused / failed / lost, server closed the connection
    "terminating",
    "shutting down",
    "starting up",
    "recovery mode",
    "could not receive data",
    "could not send data",
    "unable to open database",
)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        logger.warning("database unavailable: %s", exception)
        if request.path.startswith("/api/") or request.path == "/healthz":
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = _page()
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response


class OneDataVersionPerReadMiddleware:
    """A GET or HEAD writes nothing: its ETag, cached counts and overview read the data version
    once and agree on it (claims.data_version.one_data_version_per_request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with one_data_version_per_request():
            return self.get_response(request)


def is_outage(exception):
    """Lost or refused connections are outages; locks and constraint races are not."""
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError):
        return False
    text = str(exception).lower()
    return any(phrase in text for phrase in OUTAGE_PHRASES)


def _page():
    try:
        return SimpleTemplateResponse("503.html", {"message": MESSAGE}, status=503).render()
    except Exception:
        # The error page must not depend on anything that can fail along with the database.
        logger.exception("the 503 page could not be rendered; sending the plain one")
        html = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Temporarily unavailable</title>"
            f"<h1>ExoClaims is temporarily unavailable</h1><p>{escape(MESSAGE)}</p></html>"
        )
        return HttpResponse(html, status=503)
