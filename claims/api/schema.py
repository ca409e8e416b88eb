"""OpenAPI pieces the views share: error responses, the ?format= parameter, the filters' arrays."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from claims.filters import MAX_PARAMETER_LENGTH, MAX_VALUES, TermsFilter, YearsFilter

ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})

_ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Invalid input: each bad field or parameter with its messages"
    ),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in (send a token: Authorization: Token …)"),
    403: OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed to do this"),
    404: OpenApiResponse(ErrorSerializer, description="No such resource (or page)"),
    406: OpenApiResponse(ErrorSerializer, description="That format is not available here"),
    409: OpenApiResponse(ErrorSerializer, description="Conflicts with the data (e.g. still in use)"),
    412: OpenApiResponse(ErrorSerializer, description="If-Match names an older version: nothing was changed"),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests from this address; retry later"),
}
READ_ERRORS = (400, 404, 406, 429)
WRITE_ERRORS = (400, 401, 403, 404, 406, 429)


def errors(*codes):
    return {code: _ERRORS[code] for code in codes}


def format_parameter(*formats, description=""):
    return OpenApiParameter(
        "format", str, enum=["json", *formats], description=description or "Response format (default json)"
    )


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag you read (e.g. "CLM-0042-v3"): the write is refused with 412 if the claim changed since',
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="An ETag you hold: 304 if the claim is unchanged",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description="The claim's version tag (public id and version), for If-Match and If-None-Match",
)


class RepeatedTermsFilterExtension(DjangoFilterExtension):
    """Documents the shared filters' repeated parameters (entity terms, years) as arrays."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if isinstance(filter_field, TermsFilter):
            item, note = (
                {"type": "string", "maxLength": MAX_PARAMETER_LENGTH},
                "a slug, name or alias (any case)",
            )
            if field_name in ("section", "citation"):
                note = "a section number (3.1, fig2)" if field_name == "section" else "a citation key"
        elif isinstance(filter_field, YearsFilter):
            item, note = {"type": "integer", "minimum": 1800, "maximum": 2100}, "a year"
        else:
            return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        return [
            build_parameter_type(
                name=field_name,
                schema={"type": "array", "items": item, "maxItems": MAX_VALUES},
                location=OpenApiParameter.QUERY,
                description=f"{filter_field.label}: {note}; repeat the parameter for OR",
                explode=True,
                style="form",
            )
        ]


def document_malformed_requests(result, generator, request, public):
    """Every operation may answer 400: a parameter holding NUL or invalid Unicode is refused before
    any view runs (claims.request_hygiene), whatever the operation documents of its own."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if responses is not None and "400" not in responses:
                responses["400"] = {
                    "description": "A parameter holds a NUL or an invalid Unicode character",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
    return result
