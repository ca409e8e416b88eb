"""One URL, several representations: which one a request asks for, by ?format= or Accept.

Browsers send ``text/html`` first and get the page; tools ask for JSON, JSON-LD or Turtle by their
Accept header, and links (or people) by ``?format=``. The first type offered is the default (no
Accept header, or */*). Responses that vary say so (``Vary: Accept``), so caches keep one copy
per representation.
"""

from django.http import HttpResponseBadRequest
from django.utils.cache import patch_vary_headers

HTML = "text/html"
JSON = "application/json"
JSONLD = "application/ld+json"
TURTLE = "text/turtle"
FORMATS = {"html": HTML, "json": JSON, "jsonld": JSONLD, "ttl": TURTLE}


def preferred_type(request, offered):
    """The media type of ``offered`` the request asks for; None for a ?format= not offered.

    An Accept header that matches nothing still gets the default: a page is more use than a 406
    to a person, and a tool sees from Content-Type what it got.
    """
    name = request.GET.get("format")
    if name is not None:
        return FORMATS.get(name) if FORMATS.get(name) in offered else None
    return request.get_preferred_type(offered) or offered[0]


def unknown_format(request, offered):
    names = ", ".join(name for name, media_type in FORMATS.items() if media_type in offered)
    return HttpResponseBadRequest(
        f"format={request.GET['format']!r} is not available here; choose one of: {names}.\n",
        content_type="text/plain; charset=utf-8",
    )


def varying(response):
    patch_vary_headers(response, ["Accept"])
    return response
