"""Refuse malformed requests at the door, before any view, filter or database sees them.

PostgreSQL refuses a NUL character in text (a DataError, so a 500), and a lone UTF-16 surrogate
cannot be encoded back into a response that echoes it; both are only ever sent by broken or
hostile clients. A path holding one names nothing (404); a parameter holding one is a 400 that
says which parameter.
"""

import logging

from django.http import Http404, HttpResponse, JsonResponse
from django.utils.html import escape

logger = logging.getLogger("django.security.MalformedRequest")


def has_forbidden_character(text):
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


class RequestHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_forbidden_character(request.path):
            raise Http404("No such page.")
        # Only reads: a write is refused for its own reasons first (sign-in, permission, payload).
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        for name, values in request.GET.lists():
            if has_forbidden_character(name) or any(has_forbidden_character(value) for value in values):
                return _refusal(request, name)
        return self.get_response(request)


def _refusal(request, name):
    # ascii() shows the offending name safely: it may itself hold the character.
    message = f"The query parameter '{ascii(name)[1:-1]}' holds a NUL or an invalid Unicode character."
    logger.warning(message)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, ascii(name)[1:-1]: [message]}, status=400)
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Bad request</title>"
        f"<h1>Bad request</h1><p>{escape(message)}</p></html>"
    )
    return HttpResponse(html, status=400)
