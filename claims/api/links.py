"""Absolute URLs for one request (the site root, objects' pages and API resources), and the
canonical IRIs of the same resources (on settings.EXOCLAIMS_BASE_URL, whatever the request's host)
for the JSON-LD records, so that two host names give one resource. IRIs are reversed in the
site's own URLconf (settings.ROOT_URLCONF), not the request's: a record fetched through /api/v1/
names the resources /api/ names (claims.api.middleware mounts the API at /api/v1/ for those).

A page of 50 claims links some 500 resources; ``reverse()`` for each of them was a fifth of the
time of /api/claims/ (bench/results), hence claims.url_templates.reverse_one, and the scheme and
host are worked out once per response.
"""

from django.conf import settings
from django.urls import reverse

from claims.linked_data import canonical_iri, terms_namespace
from claims.url_templates import fill, path_template


class Links:
    def __init__(self, request):
        self.request = request
        self.site = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
        self._templates = {}

    def absolute(self, path):
        return self.request.build_absolute_uri(path) if self.request is not None else path

    def url(self, view_name, lookup):
        """The absolute URL of ``view_name`` for one positional argument."""
        template = self._templates.get(view_name)
        if template is None:
            template = self._templates[view_name] = self.absolute(path_template(view_name))
        return fill(template, view_name, lookup)

    def page(self, obj):
        return self.absolute(obj.get_absolute_url())

    def iri(self, view_name, lookup):
        """The canonical IRI of ``view_name`` for one positional argument, whichever API version
        the request came through. A record names some ten resources, so plain ``reverse()`` will do."""
        return canonical_iri(reverse(view_name, args=[lookup], urlconf=settings.ROOT_URLCONF))

    def page_iri(self, obj):
        return canonical_iri(obj.get_absolute_url())

    @property
    def terms(self):
        """The exo: namespace."""
        return terms_namespace()

    @classmethod
    def of(cls, context):
        """The serializer context's Links, made once per request (a context is one response's)."""
        links = context.get("links")
        if links is None:
            links = context["links"] = cls(context.get("request"))
        return links
