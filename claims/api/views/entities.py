"""/api/drugs/, /api/cargo/, /api/targets/, /api/cell-lines/, /api/mechanisms/ (curators write) and /api/sections/."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from claims.api import schema
from claims.api.errors import Conflict
from claims.api.idempotency import idempotent
from claims.api.serializers import (
    CargoSerializer,
    CellLineSerializer,
    DrugSerializer,
    MechanismSerializer,
    SectionSerializer,
    TargetSerializer,
)
from claims.api.views.base import JSONErrorsMixin, NamedLookupMixin
from claims.models import Cargo, CellLine, Drug, Mechanism, Section, Target
from claims.models.entities import Entity
from claims.services.entity_writes import entity_create, entity_update


def _entity_schema(noun: str, plural: str, serializer: type[BaseSerializer]) -> Any:
    read, written = schema.errors(404, 406, 429), schema.errors(*schema.WRITE_ERRORS)
    return extend_schema_view(
        list=extend_schema(
            summary=f"{plural.capitalize()}, with claim counts",
            responses={200: serializer(many=True), **read},
        ),
        retrieve=extend_schema(summary=f"One {noun}", responses={200: serializer, **read}),
        create=extend_schema(summary=f"Add a {noun} (curators)", responses={201: serializer, **written}),
        update=extend_schema(
            summary=f"Replace a {noun}'s fields (curators)", responses={200: serializer, **written}
        ),
        partial_update=extend_schema(
            summary=f"Change some of a {noun}'s fields (curators)", responses={200: serializer, **written}
        ),
        destroy=extend_schema(
            summary=f"Delete a {noun} that no claim uses (editors)",
            responses={
                204: None,
                409: OpenApiResponse(schema.ErrorSerializer, description=f"The {noun} is still in use"),
                **written,
            },
        ),
    )


class EntityViewSet(JSONErrorsMixin, NamedLookupMixin, viewsets.ModelViewSet):
    lookup_field = "slug"
    filter_backends = []
    model: type[Entity]  # each kind's viewset names its model
    plural = ""

    def get_queryset(self) -> QuerySet[Any]:
        # Aggregating queries drop Meta.ordering, so pages need it spelled out.
        return self.model.objects.with_claim_counts().order_by("name")

    def _response(self, instance: Entity, status_code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            instance = entity_create(entity=self.model(**serializer.validated_data), user=request.user)
        except IntegrityError:
            raise self._created_meanwhile(request, serializer.validated_data) from None
        return self._response(instance, status.HTTP_201_CREATED)

    def _created_meanwhile(self, request: Request, data: dict[str, Any]) -> Conflict:
        """The 409 for a create that lost a race: the name was checked free, then another request
        saved an entity with the same slug or name before this one could."""
        existing = self.model.objects.filter(Q(slug=data.get("slug")) | Q(name=data.get("name"))).first()
        detail = {"detail": f"Another {self.lookup_noun} with this slug or name was saved just now."}
        if existing is not None:
            detail["detail"] = (
                f"{existing.slug} was saved just now by another request; it is this {self.lookup_noun}."
            )
            detail["url"] = request.build_absolute_uri(
                reverse(f"api:{self.basename}-detail", args=[existing.slug])
            )
        return Conflict(detail)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        entity_update(entity=instance, user=request.user, **serializer.validated_data)
        return self._response(instance)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        if instance.claim_count:
            raise Conflict(
                f"{instance.slug} is used by {instance.claim_count} claim(s); take it off them, or merge it "
                f"into another {self.lookup_noun}, before deleting it."
            )
        dependents = self.dependents(instance)
        if dependents:
            raise Conflict(
                f"{instance.slug} is the parent of {', '.join(dependents)}; change their parent first."
            )
        with transaction.atomic():
            instance._history_user = request.user
            instance.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def dependents(self, instance: Any) -> list[str]:
        return []


@_entity_schema("drug", "drugs", DrugSerializer)
class DrugViewSet(EntityViewSet):
    model, lookup_noun = Drug, "drug"
    serializer_class = DrugSerializer
    queryset = Drug.objects.all()


@_entity_schema("cargo", "cargo", CargoSerializer)
class CargoViewSet(EntityViewSet):
    model, lookup_noun = Cargo, "cargo"
    serializer_class = CargoSerializer
    queryset = Cargo.objects.all()


@_entity_schema("target", "targets", TargetSerializer)
class TargetViewSet(EntityViewSet):
    model, lookup_noun = Target, "target"
    serializer_class = TargetSerializer
    queryset = Target.objects.all()


@_entity_schema("cell line", "cell lines", CellLineSerializer)
class CellLineViewSet(EntityViewSet):
    model, lookup_noun = CellLine, "cell line"
    serializer_class = CellLineSerializer
    queryset = CellLine.objects.all()

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("parent")

    def dependents(self, instance: Any) -> list[str]:
        return list(instance.derived.values_list("slug", flat=True))


@_entity_schema("mechanism", "mechanisms", MechanismSerializer)
class MechanismViewSet(EntityViewSet):
    model, lookup_noun = Mechanism, "mechanism"
    serializer_class = MechanismSerializer
    queryset = Mechanism.objects.all()

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("parent").prefetch_related("children")

    def dependents(self, instance: Any) -> list[str]:
        return list(instance.children.values_list("slug", flat=True))


@extend_schema_view(
    list=extend_schema(
        summary="Sections of the review, with claim counts",
        responses={200: SectionSerializer(many=True), **schema.errors(404, 406, 429)},
    ),
    retrieve=extend_schema(
        summary="One section", responses={200: SectionSerializer, **schema.errors(404, 406, 429)}
    ),
)
class SectionViewSet(JSONErrorsMixin, NamedLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Sections come from the review's text, so they are read-only."""

    queryset = Section.objects.all()
    serializer_class = SectionSerializer
    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    lookup_noun = "section"
    filter_backends = []

    def get_queryset(self) -> QuerySet[Any]:
        # Oldest source first: a section number names the review's section before any other source's.
        # Only the source's DOI is shown: its full text (the whole review) was read and grouped by
        # for every claim of every section, 70 ms for /api/sections/ at 10,000 claims.
        return (
            Section.objects.select_related("source")
            .only(*(f.name for f in Section._meta.concrete_fields if f.name != "spans"), "source__doi")
            .annotate(claim_count=Count("claims"))
            .order_by("source_id", "order")
        )
