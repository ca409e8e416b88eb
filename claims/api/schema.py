"""OpenAPI pieces the views share: error responses, the ?format= parameter, the filters' arrays, who
may read without signing in, and the schema view, which describes the API under the base it is
fetched from."""

from django.urls import get_urlconf, reverse
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import permissions, serializers

from claims.api.errors import PROBLEM_CONTENT_TYPE
from claims.filters import MAX_PARAMETER_LENGTH, MAX_VALUES, TermsFilter, YearsFilter

VERSIONED_BASE = "/api/v1"

ProblemSerializer = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(help_text='Always "about:blank": the status says what kind of problem'),
        "title": serializers.CharField(help_text="The status's phrase"),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(help_text="What is wrong, for people"),
        "errors": serializers.DictField(
            required=False,
            help_text="Invalid input: each bad field or parameter with its messages",
        ),
    },
)
_ERRORS = {
    400: "Invalid input: each bad field or parameter with its messages, under errors",
    401: "Not signed in (send a token: Authorization: Token …)",
    403: "Signed in, but not allowed to do this",
    404: "No such resource (or page)",
    406: "That format is not available here",
    409: "Conflicts with the data (e.g. still in use)",
    412: "If-Match names an older version: nothing was changed",
    429: "Too many requests from this address; retry after Retry-After seconds (RateLimit says more)",
}
# What views name in their own 4xx declarations (a 409 "still in use", say): a problem too.
ErrorSerializer = ProblemSerializer
READ_ERRORS = (400, 404, 406, 429)
WRITE_ERRORS = (400, 401, 403, 404, 406, 429)


def errors(*codes):
    """Responses for ``codes``, each an RFC 9457 problem (application/problem+json)."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=_ERRORS[code])
        for code in codes
    }


def format_parameter(*formats, description=""):
    return OpenApiParameter(
        "format", str, enum=["json", *formats], description=description or "Response format (default json)"
    )


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description=(
        'The ETag you read (e.g. "CLM-0042-v3-9f2c…", or its version part "CLM-0042-v3"): the write '
        "is refused with 412 if the claim's version moved since; only the version part is compared"
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="An ETag you hold: 304 if the representation is unchanged",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description=(
        "The claim's validator: public id, version and a digest of everything the representation "
        "shows (linked records, address, format); for If-Match and If-None-Match"
    ),
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


# Permissions that let anyone read: drf-spectacular only recognises AllowAny and
# IsAuthenticatedOrReadOnly themselves, not the subclasses claims.api.permissions uses.
_ANONYMOUS_READS = (
    permissions.AllowAny,
    permissions.IsAuthenticatedOrReadOnly,
    permissions.DjangoModelPermissionsOrAnonReadOnly,
)


class AnonymousReadsSessionScheme(SessionScheme):
    """The session cookie, and for reads every permission lets anyone make, no authentication at
    all: the empty requirement ``{}`` after the token and the cookie, so a generated client
    reads without credentials.

    Added with the session scheme because every view authenticates by token, then session.
    """

    priority = 0  # above drf-spectacular's own SessionScheme

    def get_security_requirement(self, auto_schema):
        requirements = [super().get_security_requirement(auto_schema)]
        if auto_schema.method not in permissions.SAFE_METHODS:
            return requirements
        classes = [type(permission) for permission in auto_schema.view.get_permissions()]
        # Where drf-spectacular adds {} itself (those two classes, exactly), don't add a second one.
        already = permissions.AllowAny in classes or permissions.IsAuthenticatedOrReadOnly in classes
        if not already and all(issubclass(cls, _ANONYMOUS_READS) for cls in classes):
            requirements.append({})
        return requirements


class FilteredSchema(AutoSchema):
    """For a view that filters a set of claims but answers one object about it (/api/facets/):
    its filter backend's parameters are documented, which drf-spectacular does for lists only."""

    def get_filter_backends(self):
        return getattr(self.view, "filter_backends", [])


def document_malformed_requests(result, generator, request, public):
    """Every operation may answer 400: a parameter holding NUL or invalid Unicode is refused before
    any view runs (claims.request_hygiene), whatever the operation documents of its own."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if responses is not None and "400" not in responses:
                responses["400"] = {
                    "description": "A parameter holds a NUL or an invalid Unicode character",
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    return result


def document_problems(result, generator, request, public):
    """Every 4xx and 5xx is sent as application/problem+json (claims.api.errors), including those a
    view documents itself with its own body (a 409 with a report): their schema is kept, under
    the problem's media type, their members being the problem's extension members."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for code, response in (responses or {}).items():
                content = response.get("content")
                if code[0] in "45" and content and PROBLEM_CONTENT_TYPE not in content:
                    response["content"] = {PROBLEM_CONTENT_TYPE: next(iter(content.values()))}
    return result


def document_downloads_as_sent(result, generator, request, public):
    """A CSL-JSON download is the bare list the views send, never a page: drf-spectacular wraps
    every response of a list action in the paginator's envelope, whatever its media type."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            content = ((responses or {}).get("200") or {}).get("content") or {}
            if CSL_JSON_MEDIA_TYPE in content:
                content[CSL_JSON_MEDIA_TYPE] = {"schema": CSL_JSON_LIST}
    return result


class SchemaView(SpectacularAPIView):
    """The OpenAPI document of the base it is fetched under.

    /api/v1/schema/ describes /api/v1/, the documented base: its paths are relative to a
    ``servers`` entry naming it, so a generated client needs only the host. /api/schema/, the
    unversioned alias, describes the same operations at their /api/ paths, as it always has.
    """

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        self.urlconf = get_urlconf()  # the request's (exoclaims.urls_v1 under /api/v1/)
        if request.path_info.startswith(f"{VERSIONED_BASE}/"):
            self.custom_settings = {
                "SERVERS": [
                    {"url": reverse("api:root").rstrip("/"), "description": "ExoClaims API, version 1"}
                ],
                "SCHEMA_PATH_PREFIX": VERSIONED_BASE,
                "SCHEMA_PATH_PREFIX_TRIM": True,
            }
        return super().get(request, *args, **kwargs)


# A CSL-JSON download: a list of CSL items (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html).
CSL_JSON_LIST = {"type": "array", "items": {"type": "object"}}
CSL_JSON_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
