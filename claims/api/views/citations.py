"""/api/citations/: the works the review cites, filterable, as JSON or BibTeX; curators write."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from claims.api import schema
from claims.api.conditional import list_etag, not_modified
from claims.api.downloads import CITATION_DOWNLOADS, citations_download
from claims.api.errors import Conflict
from claims.api.filtering import FilterBackend
from claims.api.idempotency import idempotent
from claims.api.parsers import BibTeXParser
from claims.api.permissions import CanImportCitations
from claims.api.renderers import BibTeXRenderer, CSLJSONRenderer, RISRenderer
from claims.api.serializers import CitationDetailSerializer, CitationSerializer
from claims.api.serializers.bibtex_import import (
    BibTeXImportOptionsSerializer,
    BibTeXUploadSerializer,
    ImportReportSerializer,
    report_data,
)
from claims.api.views.base import JSONErrorsMixin, NamedLookupMixin
from claims.filters import CitationFilter
from claims.models import Citation, Claim
from claims.services.bibtex import BibtexRefused, PlanChanged, bibtex_import
from claims.services.bibtex.parse import size_problem

WRITTEN = schema.errors(*schema.WRITE_ERRORS)
CITATION_FORMATS = ("bibtex", "csl-json", "ris")
DOWNLOAD_RESPONSES = {
    (200, "application/x-bibtex"): OpenApiTypes.STR,
    (200, "application/vnd.citationstyles.csl+json"): schema.CSL_JSON_LIST,
    (200, "application/x-research-info-systems"): OpenApiTypes.STR,
}


@extend_schema_view(
    list=extend_schema(
        summary="Citations, filtered",
        description="`format=bibtex`, `format=csl-json` or `format=ris` returns the whole filtered set in "
        "that format, streamed, instead of a page.",
        parameters=[schema.format_parameter(*CITATION_FORMATS)],
        responses={
            (200, "application/json"): CitationSerializer(many=True),
            **DOWNLOAD_RESPONSES,
            **schema.errors(*schema.READ_ERRORS),
        },
    ),
    retrieve=extend_schema(
        summary="One citation, with the claims resting on it",
        parameters=[schema.format_parameter(*CITATION_FORMATS)],
        responses={
            (200, "application/json"): CitationDetailSerializer,
            **DOWNLOAD_RESPONSES,
            **schema.errors(404, 406, 429),
        },
    ),
    create=extend_schema(summary="Add a citation (curators)", responses={201: CitationSerializer, **WRITTEN}),
    update=extend_schema(
        summary="Replace a citation's fields (curators)", responses={200: CitationSerializer, **WRITTEN}
    ),
    partial_update=extend_schema(
        summary="Change some of a citation's fields (curators)",
        responses={200: CitationSerializer, **WRITTEN},
    ),
    destroy=extend_schema(
        summary="Delete a citation no claim rests on (editors)",
        responses={
            204: None,
            409: OpenApiResponse(schema.ErrorSerializer, description="Claims still rest on it"),
            **WRITTEN,
        },
    ),
)
class CitationViewSet(JSONErrorsMixin, NamedLookupMixin, viewsets.ModelViewSet):
    queryset = Citation.objects.all()
    lookup_field = "key"
    lookup_noun = "citation"
    filter_backends = [FilterBackend]
    filterset_class = CitationFilter

    def get_queryset(self):
        # Aggregating queries drop Meta.ordering, so pages need it spelled out (label is unique).
        citations = Citation.objects.with_claim_counts().order_by(*(Citation._meta.ordering or ()), "label")
        if self.action == "retrieve":
            resting = Claim.objects.only("id", "public_id", "statement", "status").order_by("public_id")
            citations = citations.prefetch_related(Prefetch("claims", queryset=resting))
        return citations

    def get_serializer_class(self):
        return CitationDetailSerializer if self.action == "retrieve" else CitationSerializer

    def get_renderers(self):
        if self.action in ("list", "retrieve"):
            return [JSONRenderer(), BibTeXRenderer(), CSLJSONRenderer(), RISRenderer()]
        return [JSONRenderer()]

    def _response(self, citation, status_code=status.HTTP_200_OK):
        citation = Citation.objects.with_claim_counts().get(pk=citation.pk)
        return Response(
            CitationSerializer(citation, context=self.get_serializer_context()).data, status=status_code
        )

    def _save(self, serializer):
        try:
            with transaction.atomic():
                return serializer.save()
        except IntegrityError:
            # Checked above already; only a citation saved at the same moment gets here.
            raise Conflict(
                "Another citation with this key, label or DOI was saved just now; check and retry."
            ) from None

    def list(self, request, *args, **kwargs):
        citations = self.filter_queryset(self.get_queryset())
        etag = list_etag(request)
        if unchanged := not_modified(request, etag):
            return unchanged
        if request.accepted_renderer.format in CITATION_DOWNLOADS:
            response = citations_download(citations, request.accepted_renderer.format)
        else:
            page = self.paginate_queryset(citations)
            data = self.get_serializer(citations if page is None else page, many=True).data
            response = Response(data) if page is None else self.get_paginated_response(data)
        response["ETag"] = etag
        return response

    def retrieve(self, request, *args, **kwargs):
        citation = self.get_object()
        # Weak, like a list's: a citation has no version, and it shows the claims resting on it.
        etag = list_etag(request)
        if unchanged := not_modified(request, etag):
            return unchanged
        if request.accepted_renderer.format in CITATION_DOWNLOADS:
            extension = CITATION_DOWNLOADS[request.accepted_renderer.format][2]
            headers = {"Content-Disposition": f'attachment; filename="{citation.key}.{extension}"'}
            return Response([citation], headers={**headers, "ETag": etag})
        return Response(self.get_serializer(citation).data, headers={"ETag": etag})

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._response(self._save(serializer), status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self._response(self._save(serializer))

    def destroy(self, request, *args, **kwargs):
        citation = self.get_object()
        if citation.claim_count:
            raise Conflict(
                f"{citation.key} backs {citation.claim_count} claim(s); take it off them before deleting it."
            )
        with transaction.atomic():
            citation._history_user = request.user
            citation.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Import a BibTeX file (curators)",
        description="Send the file as multipart form data (field `file`) or as the body with Content-Type "
        "application/x-bibtex. Entries are matched to citations by DOI, then by first author and year; "
        "the report lists what is new, enriched, unchanged or conflicting (conflicts are skipped). A file "
        "that cannot be read is refused whole (400, with line numbers) and nothing is written. "
        "`dry_run=true` reports without writing; passing its `digest` as `expected_digest` then writes "
        "exactly that, or answers 409 with the new report if the citations changed meanwhile.",
        parameters=[BibTeXImportOptionsSerializer],
        request={"multipart/form-data": BibTeXUploadSerializer, "application/x-bibtex": OpenApiTypes.BINARY},
        responses={
            200: ImportReportSerializer,
            409: OpenApiResponse(ImportReportSerializer, description="The plan changed since the dry run"),
            **schema.errors(*schema.WRITE_ERRORS),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, BibTeXParser],
        permission_classes=[CanImportCitations],
    )
    def import_bibtex(self, request):
        options = BibTeXImportOptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        upload = request.data.get("file")
        if upload is None or upload == b"":
            raise ValidationError({"file": ["Send a .bib file (form field 'file', or the request body)."]})
        size = request.data.get("size") if isinstance(upload, bytes) else upload.size
        if size > settings.BIBTEX_MAX_BYTES:  # named with the size sent, never the bytes kept
            raise ValidationError({"file": [str(size_problem(size, settings.BIBTEX_MAX_BYTES))]})
        data = upload if isinstance(upload, bytes) else upload.read()
        try:
            report = bibtex_import(data=data, user=request.user, **options.validated_data)
        except BibtexRefused as refused:
            raise ValidationError({"file": [str(problem) for problem in refused.problems]}) from None
        except PlanChanged as changed:
            return Response(report_data(changed.report), status=status.HTTP_409_CONFLICT)
        return Response(report_data(report))
