"""The API's HTTP behaviour as a whole, whatever view answers: versions, problems, caching,
CORS and compression.

- ``/api/v1/`` is the documented base and ``/api/`` its unversioned alias (docs/api.md). A request
  under /api/v1/ is resolved with exoclaims.urls_v1, where the API is mounted there, so every link
  a response builds (``reverse("api:…")``) stays in the version the client asked for.
- Every 4xx and 5xx is an RFC 9457 problem (claims.api.errors): DRF's errors already are, and the
  ones made outside DRF (the request hygiene's 400, Django's 404 and 500 pages, the 503 of a lost
  database) are rewritten here, their JSON members kept.
- Reads are cacheable: a GET or HEAD without credentials is ``public, max-age=API_CACHE_SECONDS``,
  one with a token or a session cookie ``private, no-cache`` (only the client keeps it, and it
  revalidates it with its ETag). ``Vary`` names every request header an answer depends on.
"""

import json

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers

from claims.api.errors import PROBLEM_CONTENT_TYPE, problem, problem_from_errors, problem_json

API_PREFIX = "/api/"
VERSIONED_PREFIX = "/api/v1"
VERSIONED_URLCONF = "exoclaims.urls_v1"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
VARY = ("Accept", "Accept-Encoding", "Origin", "Authorization")


def is_api(request):
    return request.path_info.startswith(API_PREFIX)


class ApiHttpMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api(request):
            return self.get_response(request)
        path = request.path_info
        if path == VERSIONED_PREFIX or path.startswith(f"{VERSIONED_PREFIX}/"):
            request.urlconf = VERSIONED_URLCONF  # read by Django's URL resolver for this request
        response = self.get_response(request)
        if response.status_code >= 400:
            response = as_problem(response)
        elif request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            cache_for(request, response)
        patch_vary_headers(response, VARY)
        return response


def as_problem(response):
    """``response`` as a problem, unless it is one (or a stream, which no error is)."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith(PROBLEM_CONTENT_TYPE) or response.streaming:
        return response
    data = None
    if content_type.startswith("application/json"):
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
    if isinstance(data, dict | list):
        body = problem_from_errors(response.status_code, data)
    else:  # an HTML page (Django's 404 or 500): the status says it all
        body = problem(response.status_code, "")
    headers = {
        name: value
        for name, value in response.items()
        if name.lower() not in ("content-type", "content-length")
    }
    rewritten = problem_json(body, headers)
    rewritten.cookies = response.cookies
    return rewritten


def cache_for(request, response):
    if response.has_header("Cache-Control"):
        return  # the view knows better
    with_credentials = "Authorization" in request.headers or settings.SESSION_COOKIE_NAME in request.COOKIES
    if with_credentials or response.cookies:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)


class ReadOnlyCorsMiddleware(CorsMiddleware):
    """django-cors-headers for reads only: any origin may GET, HEAD and OPTIONS the API without
    credentials (``Access-Control-Allow-Origin: *``). A write's preflight, and a write itself, get
    no CORS headers, so a browser keeps writes to the site's own pages (same origin)."""

    def is_enabled(self, request):
        method = request.method
        if method == "OPTIONS":
            method = request.headers.get("Access-Control-Request-Method", method).upper()
        return method in SAFE_METHODS and super().is_enabled(request)


class ApiGZipMiddleware(GZipMiddleware):
    """Django's gzip, for the API only (its JSON and downloads): HTML pages carry a CSRF token, which
    compression beside reflected input would expose to BREACH; API responses carry no secret."""

    def process_response(self, request, response):
        if not is_api(request):
            return response
        return super().process_response(request, response)
