"""Drugs, cargo, cell lines, mechanisms and sections: references inside claims, and the resources.

An entity is written with slugs for its relations. That every name it answers to (name, slug,
aliases, misprints) names no other entity of its kind is the entity service's rule
(services.entity_writes.entity_check): its refusal comes back as a 400 naming the field.
"""

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims import vocabulary as v
from claims.api.serializers.fields import ClaimsLinkField, PageLinkField
from claims.identifiers import SLUG
from claims.models import Cargo, CellLine, ClaimCellLine, Drug, Mechanism, Section, Target
from claims.models.entities import LOOKUP_SEPARATOR, Entity

MAX_ALIASES = 50

# Accession formats as the registries define them; a value is checked for shape only, never guessed.
IDENTIFIER_FORMATS = {
    "chebi": (r"CHEBI:\d+", "CHEBI:28748"),
    "drugbank": (r"DB\d{5}", "DB00997"),
    "ncit": (r"C\d+", "C62077"),
    "hgnc": (r"HGNC:\d+", "HGNC:40"),
    "mirbase": (r"MI(MAT)?\d{7}", "MIMAT0004748"),
    "uniprot": (r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9]([A-Z][A-Z0-9]{2}[0-9]){1,2}", "P08183"),
    "cellosaurus": (r"CVCL_[A-Z0-9]{4}", "CVCL_0031"),
}


def _detail_link(view_name: str, **kwargs: Any) -> serializers.HyperlinkedIdentityField:
    return serializers.HyperlinkedIdentityField(view_name=view_name, lookup_field="slug", **kwargs)


# References: how an entity appears inside a claim.


class DrugRefSerializer(serializers.ModelSerializer):
    url = _detail_link("api:drug-detail")

    class Meta:
        model = Drug
        fields = ["slug", "name", "url"]


class CargoRefSerializer(serializers.ModelSerializer):
    type = serializers.CharField(
        source="cargo_type", help_text="Cargo type: " + ", ".join(v.CargoType.values)
    )
    url = _detail_link("api:cargo-detail")

    class Meta:
        model = Cargo
        fields = ["slug", "name", "type", "url"]


class TargetRefSerializer(serializers.ModelSerializer):
    type = serializers.CharField(
        source="target_type", help_text="Target type: " + ", ".join(v.TargetType.values)
    )
    url = _detail_link("api:target-detail")

    class Meta:
        model = Target
        fields = ["slug", "name", "type", "url"]


class CellLineRefSerializer(serializers.ModelSerializer):
    """A cell line in a claim, with the role it plays there."""

    slug = serializers.CharField(source="cell_line.slug")
    name = serializers.CharField(source="cell_line.name")
    url: serializers.HyperlinkedRelatedField[CellLine] = serializers.HyperlinkedRelatedField(
        source="cell_line", view_name="api:cell-line-detail", lookup_field="slug", read_only=True
    )

    class Meta:
        model = ClaimCellLine
        fields = ["slug", "name", "role", "url"]


class MechanismRefSerializer(serializers.ModelSerializer):
    url = _detail_link("api:mechanism-detail")

    class Meta:
        model = Mechanism
        fields = ["slug", "name", "url"]


# The entity resources.


class IdentifierSerializer(serializers.Serializer):
    registry = serializers.CharField()
    accession = serializers.CharField()
    url = serializers.URLField()


def _identifier_help(*names: str) -> dict[str, dict[str, str]]:
    return {
        name: {"help_text": f"e.g. {IDENTIFIER_FORMATS[name][1]}; set only once checked against the registry"}
        for name in names
    }


class EntitySerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=MAX_ALIASES,
        help_text="Other spellings, e.g. as printed in the review; each names this entity only.",
    )
    identifiers = serializers.SerializerMethodField()
    claim_count = serializers.IntegerField(read_only=True)
    html_url = PageLinkField()

    misprints = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=MAX_ALIASES,
        help_text="Spellings that are the review's typos: matched by filters and search, shown as misprints.",
    )

    common_fields = [
        "url",
        "html_url",
        "slug",
        "name",
        "aliases",
        "misprints",
        "identifiers",
        "notes",
        "claim_count",
        "claims_url",
    ]

    @extend_schema_field(IdentifierSerializer(many=True))
    def get_identifiers(self, entity: Entity) -> list[dict[str, str]]:
        return [{"registry": r, "accession": a, "url": u} for r, a, u in entity.identifiers]

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError(
                "The slug is this entity's permanent identifier and cannot be changed; "
                "create a new entity and merge this one into it instead."
            )
        if not SLUG.match(value):
            raise serializers.ValidationError(
                "Use lowercase letters, digits and single hyphens, e.g. 'mcf-7'."
            )
        return value

    def validate_aliases(self, aliases: list[str]) -> list[str]:
        cleaned: list[str] = []
        for alias in aliases:
            alias = alias.strip()
            if LOOKUP_SEPARATOR in alias:
                raise serializers.ValidationError(f"'{alias}': an alias cannot contain '{LOOKUP_SEPARATOR}'.")
            if alias and alias not in cleaned:
                cleaned.append(alias)
        return cleaned

    def validate_misprints(self, misprints: list[str]) -> list[str]:
        return self.validate_aliases(misprints)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        for name, (pattern, example) in IDENTIFIER_FORMATS.items():
            value = attrs.get(name)
            if value and not re.fullmatch(pattern, value):
                errors[name] = [f"'{value}' is not a {name} accession like {example}."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class DrugSerializer(EntitySerializer):
    url = _detail_link("api:drug-detail")
    claims_url = ClaimsLinkField(parameter="drug")

    class Meta:
        model = Drug
        fields = EntitySerializer.common_fields + ["drug_class", "chebi", "drugbank", "ncit"]
        extra_kwargs = _identifier_help("chebi", "drugbank", "ncit")


class CargoSerializer(EntitySerializer):
    url = _detail_link("api:cargo-detail")
    claims_url = ClaimsLinkField(parameter="cargo")
    type = serializers.ChoiceField(source="cargo_type", choices=v.CargoType.choices)

    class Meta:
        model = Cargo
        fields = EntitySerializer.common_fields + ["type", "hgnc", "mirbase", "uniprot"]
        extra_kwargs = _identifier_help("hgnc", "mirbase", "uniprot")


class TargetSerializer(EntitySerializer):
    url = _detail_link("api:target-detail")
    claims_url = ClaimsLinkField(parameter="target")
    type = serializers.ChoiceField(source="target_type", choices=v.TargetType.choices)

    class Meta:
        model = Target
        fields = EntitySerializer.common_fields + ["type", "hgnc", "uniprot"]
        extra_kwargs = _identifier_help("hgnc", "uniprot")


class _ParentMixin(serializers.ModelSerializer):
    """A parent given by slug; no entity may end up among its own ancestors.

    Its field is named as Field's own ``parent`` attribute, which DRF's metaclass takes off the class."""

    def validate_parent(self, parent: Any) -> Any:
        seen = set()
        node = parent
        while node is not None and node.pk not in seen:
            if self.instance is not None and node.pk == self.instance.pk:
                raise serializers.ValidationError(
                    f"'{parent.slug}' cannot be the parent: {self.instance.slug} would become its own ancestor."
                )
            seen.add(node.pk)
            node = node.parent
        return parent


def _parent_field(model: type[Entity], noun: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=model.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": f"No {noun} has the slug '{{value}}'."},
    )


class CellLineSerializer(_ParentMixin, EntitySerializer):
    url = _detail_link("api:cell-line-detail")
    claims_url = ClaimsLinkField(parameter="cell_line")
    parent = _parent_field(CellLine, "cell line")  # type: ignore[assignment]  # as Field.parent; see _ParentMixin

    class Meta:
        model = CellLine
        fields = EntitySerializer.common_fields + ["species", "subtype", "parent", "cellosaurus"]
        extra_kwargs = _identifier_help("cellosaurus")


class MechanismSerializer(_ParentMixin, EntitySerializer):
    url = _detail_link("api:mechanism-detail")
    claims_url = ClaimsLinkField(parameter="mechanism")
    parent = _parent_field(Mechanism, "mechanism")  # type: ignore[assignment]  # as Field.parent; see _ParentMixin
    children: serializers.SlugRelatedField[Mechanism] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = Mechanism
        fields = EntitySerializer.common_fields + ["parent", "children", "description"]


class SectionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:section-detail", lookup_field="number")
    # Named as Field's own attributes; DRF's metaclass takes declared fields off the class.
    source = serializers.CharField(  # type: ignore[assignment]
        source="source.doi", help_text="DOI of the publication the section is in"
    )
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    claim_count = serializers.IntegerField(read_only=True)
    claims_url = ClaimsLinkField(parameter="section", attribute="number")

    class Meta:
        model = Section
        fields = ["url", "number", "title", "label", "order", "source", "claim_count", "claims_url"]
        read_only_fields = fields
