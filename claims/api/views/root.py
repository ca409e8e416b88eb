"""/api/ (what is where) and /api/docs/ (Swagger UI under the site's strict CSP)."""

from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template import engines
from django.urls import resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from claims.api import schema

ENDPOINTS = {
    "claims": "api:claim-list",
    "facets": "api:facets",
    "citations": "api:citation-list",
    "drugs": "api:drug-list",
    "cargo": "api:cargo-list",
    "targets": "api:target-list",
    "cell_lines": "api:cell-line-list",
    "mechanisms": "api:mechanism-list",
    "sections": "api:section-list",
    "schema": "api:schema",
    "docs": "api:docs",
}


class ApiRootView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The API's endpoints",
        responses={
            200: inline_serializer("ApiRoot", {name: serializers.URLField() for name in ENDPOINTS}),
            **schema.errors(406, 429),
        },
    )
    def get(self, request):
        return Response({name: reverse(url_name, request=request) for name, url_name in ENDPOINTS.items()})


# drf-spectacular's page with its inline <style> left out: the site's CSP allows no inline styles.
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="icon" href="{{ favicon_href }}">
<link rel="stylesheet" href="{{ swagger_ui_css }}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{{ swagger_ui_bundle }}"></script>
<script src="{{ swagger_ui_standalone }}"></script>
<script src="{{ script_url }}"></script>
</body>
</html>
"""


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar files, its settings script served from ?script."""

    url_name = "api:schema"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if "script" in request.GET:
            return response
        page = engines["django"].from_string(DOCS_PAGE).render(response.data, request)
        return HttpResponse(page, content_type="text/html; charset=utf-8")


@csrf_exempt  # it writes nothing; a refused CSRF check would hide the 404 behind an HTML 403
def not_found(request, *args, **kwargs):
    """Anything else under /api/: a JSON 404, or the slash-ended URL a client left the slash off."""
    with_slash = f"{request.path}/"
    if not request.path.endswith("/") and resolve(with_slash).url_name != "not-found":
        if request.method in ("GET", "HEAD"):
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(with_slash + (f"?{query}" if query else ""))
        return JsonResponse(
            {"detail": f"There is no API endpoint at {request.path}; did you mean {with_slash}?"}, status=404
        )
    return JsonResponse(
        {"detail": f"There is no API endpoint at {request.path}; /api/ lists them."}, status=404
    )
