"""/api/claims/: the filtered list (JSON pages, or the whole set as CSV or BibTeX), one claim in
every format, and the writes (create, update, delete, status transitions, flags), all through
the services so the rules are the ones the site and the admin follow.
"""

from django.db import transaction
from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from claims.api import schema
from claims.api.conditional import claim_etag, expected_version, list_etag, not_modified
from claims.api.cursor import PageOrCursorPagination
from claims.api.downloads import citations_download
from claims.api.errors import Conflict
from claims.api.filtering import FilterBackend
from claims.api.idempotency import idempotent
from claims.api.links import Links
from claims.api.nanopub import claim_nanopublication
from claims.api.page_json import (
    ClaimText,
    JSONPageRenderer,
    claim_json,
    page_json_supported,
    page_texts,
    with_snippet,
)
from claims.api.permissions import ReadAnyoneWriteSignedIn
from claims.api.renderers import BibTeXRenderer, CSLJSONRenderer, CSVRenderer, JSONLDRenderer, RISRenderer
from claims.api.serializers import (
    ClaimSerializer,
    ClaimWriteSerializer,
    FlagResolveSerializer,
    FlagSerializer,
    TransitionSerializer,
)
from claims.api.serializers.claims import search_snippet
from claims.api.views.base import FreedOnceRenderedMixin, JSONErrorsMixin, NamedLookupMixin
from claims.exports import claim_csv_row, claims_csv_response
from claims.filters import ClaimFilter
from claims.models import Citation, Claim
from claims.selectors import claim_for_display, claims_with_relations, read_claims
from claims.services.bibtex import citations_of_claims
from claims.services.claim_writes import StaleClaim, claim_create, claim_update, find_duplicates
from claims.services.workflow import claim_transition, flag_raise, flag_resolve

RENDERERS = {
    "list": [JSONPageRenderer, CSVRenderer, BibTeXRenderer, CSLJSONRenderer, RISRenderer],
    "retrieve": [JSONPageRenderer, JSONLDRenderer, CSVRenderer, BibTeXRenderer],
}
READ_ACTIONS = {"list", "retrieve", "flags", None}

DuplicateSerializer = inline_serializer(
    "LikelyDuplicate",
    {
        "detail": serializers.CharField(),
        "duplicates": inline_serializer(
            "DuplicateClaim",
            {
                "id": serializers.CharField(),
                "url": serializers.URLField(),
                "statement": serializers.CharField(),
            },
            many=True,
        ),
    },
)
CLAIM_WRITTEN = {200: ClaimSerializer, **schema.errors(*schema.WRITE_ERRORS, 412)}


class LikelyDuplicate(Conflict):
    default_detail = "A claim with the same citation, drug and cargo exists."


@extend_schema_view(
    list=extend_schema(
        summary="Claims, filtered",
        description=(
            "Filters combine with AND; repeating a parameter means OR. Entity parameters take a slug, a "
            "name or an alias, case-insensitively. `format=csv` (one row a claim, lists joined with "
            "'; ') and `format=bibtex`, `format=csl-json` or `format=ris` (the cited works) return the "
            "whole filtered set, streamed, instead of a page."
        ),
        parameters=[schema.format_parameter("csv", "bibtex", "csl-json", "ris")],
        responses={
            (200, "application/json"): ClaimSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/x-bibtex"): OpenApiTypes.STR,
            (200, "application/vnd.citationstyles.csl+json"): schema.CSL_JSON_LIST,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            **schema.errors(*schema.READ_ERRORS),
        },
    ),
    retrieve=extend_schema(
        summary="One claim",
        description="`format=jsonld`: a nanopublication-shaped JSON-LD record (assertion, provenance, "
        "publication info); `format=csv`: its row; `format=bibtex`: its citations.",
        parameters=[schema.format_parameter("jsonld", "csv", "bibtex"), schema.IF_NONE_MATCH, schema.ETAG],
        responses={
            (200, "application/json"): ClaimSerializer,
            (200, "application/ld+json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/x-bibtex"): OpenApiTypes.STR,
            304: OpenApiResponse(description="Not modified: If-None-Match names the current version"),
            **schema.errors(404, 406, 429),
        },
    ),
    create=extend_schema(
        summary="Create a claim (curators)",
        description="Created as a draft. Refused with 409 when a claim with the same citation, drug and "
        "cargo exists, unless `allow_duplicate` is true. `change_reason`, if given, is kept in the "
        "claim's history as the edit summary of its creation.",
        request=ClaimWriteSerializer,
        parameters=[schema.ETAG],
        responses={
            201: ClaimSerializer,
            409: OpenApiResponse(DuplicateSerializer, description="Likely a duplicate"),
            **schema.errors(*schema.WRITE_ERRORS),
        },
    ),
    update=extend_schema(
        summary="Replace a claim's fields (curators)",
        request=ClaimWriteSerializer,
        parameters=[schema.IF_MATCH, schema.ETAG],
        responses=CLAIM_WRITTEN,
    ),
    partial_update=extend_schema(
        summary="Change some of a claim's fields (curators)",
        request=ClaimWriteSerializer,
        parameters=[schema.IF_MATCH, schema.ETAG],
        responses=CLAIM_WRITTEN,
    ),
    destroy=extend_schema(
        summary="Delete a claim (editors)",
        parameters=[schema.IF_MATCH],
        responses={204: None, **schema.errors(*schema.WRITE_ERRORS, 412)},
    ),
)
class ClaimViewSet(FreedOnceRenderedMixin, JSONErrorsMixin, NamedLookupMixin, viewsets.ModelViewSet):
    queryset = Claim.objects.all()
    serializer_class = ClaimSerializer
    lookup_field = "public_id"
    lookup_value_regex = r"[^/]+"
    lookup_noun = "claim"
    filter_backends = [FilterBackend]
    filterset_class = ClaimFilter
    pagination_class = PageOrCursorPagination

    def get_queryset(self):
        if self.action in READ_ACTIONS:
            # The relations are loaded where a response shows them (claims.selectors).
            return Claim.objects.for_display()
        # Writes get a claim without its relations loaded: the services change them.
        return Claim.objects.select_related("section__source")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ClaimWriteSerializer
        return ClaimSerializer

    def get_renderers(self):
        return [renderer() for renderer in RENDERERS.get(self.action, [JSONRenderer])]

    def _claim_response(self, claim, status_code=status.HTTP_200_OK):
        (claim,) = claims_with_relations(Claim.objects.for_display().filter(pk=claim.pk))
        data = ClaimSerializer(claim, context=self.get_serializer_context()).data
        headers = {"ETag": claim_etag(self.request, claim, url=data["url"])}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = data["url"]
        return Response(data, status=status_code, headers=headers)

    def _write_payload(self, request, *, partial):
        serializer = ClaimWriteSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        payload = dict(serializer.validated_data)
        return payload, payload.pop("allow_duplicate", False)

    def list(self, request, *args, **kwargs):
        claims = self.filter_queryset(self.get_queryset())
        etag = list_etag(request)
        if unchanged := not_modified(request, etag):
            return unchanged
        download = request.accepted_renderer.format
        response: HttpResponseBase
        if download == "csv":
            response = claims_csv_response(request, claims)
        elif download in ("bibtex", "csl-json", "ris"):
            response = citations_download(
                citations_of_claims(claims), download, stem="exoclaims-claims-citations", with_review=True
            )
        elif page_json_supported():
            # The database writes each claim's JSON (claims.api.page_json), the page holds ids.
            paginator = self.paginator
            assert isinstance(paginator, PageOrCursorPagination)
            paginator.holding_ids()
            page = self.paginate_queryset(claims)
            assert page is not None  # the page size is never 0 (claims.api.pagination)
            ids = [getattr(item, "pk", item) for item in page]  # keyset pages hold claims
            response = self.get_paginated_response(self._page_texts(ids))
        else:
            page = self.paginate_queryset(claims)
            # to_representation gives a plain list: ``.data`` is a ReturnList that points back at
            # its serializer, a reference cycle holding the page (see FreedOnceRenderedMixin).
            data = self.get_serializer(many=True).to_representation(
                claims_with_relations(claims if page is None else page)
            )
            response = Response(data) if page is None else self.get_paginated_response(data)
        response["ETag"] = etag
        return response

    def _page_texts(self, ids):
        context = self.get_serializer_context()
        serializer = ClaimSerializer(context=context)

        def written_by_serializer(left):
            claims = claims_with_relations(read_claims(Claim.objects.db, left))
            return {claim.pk: serializer.to_representation(claim) for claim in claims}

        return page_texts(
            Claim.objects.db,
            ids,
            Links.of(context),
            snippet=lambda statement, quote: search_snippet(context, statement, quote),
            fallback=written_by_serializer,
        )

    def retrieve(self, request, *args, **kwargs):
        value = self.kwargs[self.lookup_field]
        if request.accepted_renderer.format == "json" and page_json_supported():
            written = self._written_claim(request, value)
            if written is not None:
                return written
        # get_object's query, written once (claims.selectors.claim_for_display): the ORM compiled it
        # on every request, a third of the time of a claim in process.
        claim = claim_for_display(value)
        if claim is None:
            raise self._not_found(value)
        self.check_object_permissions(request, claim)
        etag = claim_etag(request, claim)
        if unchanged := not_modified(request, etag):
            return unchanged
        fmt = request.accepted_renderer.format
        if fmt == "csv":
            site = request.build_absolute_uri("/").rstrip("/")
            (claim,) = claims_with_relations([claim])
            headers = _attachment(f"{claim.public_id}.csv")
            return Response([claim_csv_row(claim, site)], headers={**headers, "ETag": etag})
        if fmt == "bibtex":
            citations = list(Citation.objects.filter(claims=claim))
            return Response(citations, headers={**_attachment(f"{claim.public_id}.bib"), "ETag": etag})
        if fmt == "jsonld":
            (claim,) = claims_with_relations(
                Claim.objects.for_display()
                .select_related("source", "created_by", "updated_by")
                .filter(pk=claim.pk)
            )
            return Response(claim_nanopublication(claim, links=Links(request)), headers={"ETag": etag})
        (claim,) = claims_with_relations([claim])
        return Response(self.get_serializer(claim).data, headers={"ETag": etag})

    def _not_found(self, value):
        return NotFound(f"No {self.lookup_noun} has the {self.lookup_label} '{value}'.")

    def _written_claim(self, request, value):
        """The claim's JSON as the database writes it (claims.api.page_json): the claim and its
        relations in one query, no model instances; None where the serializer must write it."""
        context = self.get_serializer_context()
        written = claim_json(Claim.objects.db, value, Links.of(context))
        if written is None:
            raise self._not_found(value)
        if written.text is None:  # a link SQL cannot write (claims.api.page_json)
            return None
        # What the permissions and the ETag read of the claim; anything else would be read on use.
        claim = Claim.from_db(
            Claim.objects.db, ["id", "public_id", "version"], [written.pk, written.public_id, written.version]
        )
        self.check_object_permissions(request, claim)
        etag = claim_etag(request, claim)
        if unchanged := not_modified(request, etag):
            return unchanged
        snippet = search_snippet(context, written.statement, written.quote)
        return Response(ClaimText(with_snippet(written.text, snippet)), headers={"ETag": etag})

    @idempotent
    def create(self, request, *args, **kwargs):
        payload, allow_duplicate = self._write_payload(request, partial=False)
        if not allow_duplicate:
            self._refuse_duplicates(request, payload)
        claim = claim_create(user=request.user, **payload)
        return self._claim_response(claim, status.HTTP_201_CREATED)

    def _refuse_duplicates(self, request, payload):
        duplicates = find_duplicates(
            citations=payload.get("citations", []),
            drugs=payload.get("drugs", []),
            cargo=payload.get("cargo", []),
        )
        if not duplicates:
            return
        raise LikelyDuplicate(
            {
                "detail": "A claim with the same citation, drug and cargo exists; send allow_duplicate: true to "
                "create this one anyway.",
                "duplicates": [
                    {
                        "id": d.public_id,
                        "statement": d.statement,
                        "url": request.build_absolute_uri(reverse("api:claim-detail", args=[d.public_id])),
                    }
                    for d in duplicates
                ],
            }
        )

    def update(self, request, *args, partial=False, **kwargs):
        claim = self.get_object()
        version = expected_version(request, claim)
        changes, _ = self._write_payload(request, partial=partial)
        claim_update(claim=claim, user=request.user, expected_version=version, **changes)
        return self._claim_response(claim)

    def destroy(self, request, *args, **kwargs):
        claim = self.get_object()
        version = expected_version(request, claim) or claim.version
        with transaction.atomic():
            # Deleting only the version the client saw: a claim edited meanwhile is kept (412).
            claim._history_user = request.user
            if not Claim.objects.select_for_update().filter(pk=claim.pk, version=version).exists():
                claim.refresh_from_db()
                raise StaleClaim(claim, version)
            claim.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move a claim to another status",
        description="Curators send drafts to review (and back); editors approve or reject (with a reason), "
        "never a claim they edited last.",
        request=TransitionSerializer,
        parameters=[schema.IF_MATCH, schema.ETAG],
        responses=CLAIM_WRITTEN,
    )
    @action(detail=True, methods=["post"], permission_classes=[ReadAnyoneWriteSignedIn])
    def transition(self, request, public_id=None):
        claim = self.get_object()
        version = expected_version(request, claim)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim_transition(
            claim=claim,
            user=request.user,
            to_status=serializer.validated_data["status"],
            reason=serializer.validated_data.get("reason", ""),
            expected_version=version,
        )
        return self._claim_response(claim)

    @extend_schema(
        methods=["GET"],
        summary="A claim's flags",
        description="Every flag raised on the claim, open and resolved, newest first, as one list (no paging).",
        responses={200: FlagSerializer(many=True), **schema.errors(404, 406, 429)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Flag a problem with a claim (anyone signed in)",
        request=FlagSerializer,
        responses={201: FlagSerializer, **schema.errors(*schema.WRITE_ERRORS)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[ReadAnyoneWriteSignedIn],
        pagination_class=None,
    )
    @idempotent
    def flags(self, request, public_id=None):
        claim = self.get_object()
        if request.method == "GET":
            return Response(FlagSerializer(claim.flags.all(), many=True).data)
        serializer = FlagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = flag_raise(claim=claim, user=request.user, **serializer.validated_data)
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve a flag (editors)",
        parameters=[OpenApiParameter("flag_id", int, OpenApiParameter.PATH)],
        request=FlagResolveSerializer,
        responses={200: FlagSerializer, **schema.errors(*schema.WRITE_ERRORS)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"flags/(?P<flag_id>[0-9]+)/resolve",
        url_name="flag-resolve",
        permission_classes=[ReadAnyoneWriteSignedIn],
    )
    def resolve_flag(self, request, public_id=None, flag_id=None):
        claim = self.get_object()
        flag = claim.flags.filter(pk=flag_id).first()
        if flag is None:
            raise NotFound(f"{claim.public_id} has no flag {flag_id}.")
        serializer = FlagResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag_resolve(flag=flag, user=request.user, resolution=serializer.validated_data["resolution"])
        return Response(FlagSerializer(flag).data)


def _attachment(filename):
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
