"""Absolute URLs for one request: the site root, objects' pages and API resources.

A page of 50 claims links some 500 resources; ``reverse()`` for each of them was a fifth of the
time of /api/claims/ (bench/results), hence claims.url_templates.reverse_one, and the scheme and
host are worked out once per response.
"""

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

    @classmethod
    def of(cls, context):
        """The serializer context's Links, made once per request (a context is one response's)."""
        links = context.get("links")
        if links is None:
            links = context["links"] = cls(context.get("request"))
        return links
