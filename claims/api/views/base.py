"""What every API view shares: JSON errors whatever the format asked for, lookups that say what is missing."""

from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class JSONErrorsMixin:
    """Errors are JSON even on ?format=csv or ?format=bibtex, so a download can say what went wrong."""

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(response, Response) and response.exception and renderer and renderer.format != "json":
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class NamedLookupMixin:
    """get_object by the natural key in the URL, without applying the list filters to it."""

    lookup_noun = "object"  # "claim", "drug": says what was not found

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        instance = self.get_queryset().filter(**{self.lookup_field: value}).first()
        if instance is None:
            raise NotFound(f"No {self.lookup_noun} has the {self.lookup_label} '{value}'.")
        self.check_object_permissions(self.request, instance)
        return instance

    @property
    def lookup_label(self):
        return {"public_id": "id", "number": "number", "key": "key"}.get(self.lookup_field, self.lookup_field)
