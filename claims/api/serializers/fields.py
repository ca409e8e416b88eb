"""Link fields shared by the API's serializers (absolute URLs, as DRF's hyperlinks are)."""

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class _ObjectLinkField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.URI)
class PageLinkField(_ObjectLinkField):
    """The object's page on the site (its get_absolute_url)."""

    def to_representation(self, obj):
        return self.absolute(obj.get_absolute_url())


@extend_schema_field(OpenApiTypes.URI)
class ClaimsLinkField(_ObjectLinkField):
    """/api/claims/ filtered to the claims about this object (``?<parameter>=<slug or key>``)."""

    def __init__(self, *, parameter, attribute="slug", **kwargs):
        self.parameter, self.attribute = parameter, attribute
        super().__init__(**kwargs)

    def to_representation(self, obj):
        query = urlencode({self.parameter: getattr(obj, self.attribute)})
        return self.absolute(f"{reverse('api:claim-list')}?{query}")


class OptionalURLField(serializers.URLField):
    """A URL the object may not have (a citation without DOI): null rather than an empty string."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None
