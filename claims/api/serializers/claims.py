"""Claims: the JSON downstream tools rely on, and the write payload curators' tools send.

Reading expects ``Claim.objects.with_relations()`` so a page of claims costs a fixed number of
queries. Writing takes relations by slug (entities) and key (citations); the payload is only
resolved here, the rules are claims.services.claim_writes'.
"""

from rest_framework import serializers

from claims import vocabulary as v
from claims.api.serializers.citations import CitationRefSerializer
from claims.api.serializers.entities import (
    CargoRefSerializer,
    CellLineRefSerializer,
    DrugRefSerializer,
    MechanismRefSerializer,
)
from claims.api.serializers.fields import PageLinkField
from claims.models import Cargo, CellLine, Citation, Claim, Drug, Mechanism, Section
from claims.services.claim_writes import MAX_TEXT, source_default

MAX_RELATED = 100


class ClaimSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="Public id, e.g. CLM-0042")
    url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail", lookup_field="public_id")
    html_url = PageLinkField()
    section = serializers.CharField(source="section.number", help_text="Section number as in the review")
    section_title = serializers.CharField(source="section.title")
    citations = CitationRefSerializer(many=True)
    drugs = DrugRefSerializer(many=True)
    cargo = CargoRefSerializer(many=True)
    cell_lines = CellLineRefSerializer(source="cell_line_links", many=True)
    mechanism = MechanismRefSerializer(allow_null=True)
    flags_url = serializers.HyperlinkedIdentityField(view_name="api:claim-flags", lookup_field="public_id")

    class Meta:
        model = Claim
        fields = [
            "id", "url", "html_url", "statement", "quote", "quote_start", "quote_end", "quote_prefix",
            "quote_suffix", "section", "section_title", "citations", "drugs", "cargo", "cell_lines",
            "mechanism", "therapy_class", "direction", "model", "exosome_source", "status",
            "rejection_reason", "citation_support", "notes", "version", "created", "updated", "flags_url",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "quote_start": {"help_text": "Character offset of the quote in the review text"},
            "quote_prefix": {"help_text": "Text just before the quote (W3C TextQuoteSelector prefix)"},
            "quote_suffix": {"help_text": "Text just after the quote (W3C TextQuoteSelector suffix)"},
            "version": {"help_text": "Bumped on every change; the ETag is built from it"},
        }


class CellLineRoleSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=v.CellLineRole.choices)


def _slug_list(help_text):
    return serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=MAX_RELATED,
        help_text=help_text,
    )


def _resolve(model, field, values, noun):
    """The objects named by ``values`` (in order, without repeats); unknown ones are a 400 naming them."""
    values = list(dict.fromkeys(values))
    found = {getattr(obj, field): obj for obj in model.objects.filter(**{f"{field}__in": values})}
    missing = [value for value in values if value not in found]
    if missing:
        raise serializers.ValidationError(f"No {noun} has the {field} {', '.join(repr(m) for m in missing)}.")
    return [found[value] for value in values]


class ClaimWriteSerializer(serializers.Serializer):
    """A new claim, or changes to one: relations by slug or key, choices by their codes."""

    section = serializers.CharField(
        max_length=20, help_text="Section number as in the review: abstract, 3.1, fig2"
    )
    quote = serializers.CharField(
        max_length=MAX_TEXT, trim_whitespace=False, help_text="The exact sentence(s) of the review, verbatim"
    )
    occurrence = serializers.IntegerField(
        min_value=1, required=False, allow_null=True,
        help_text="Which occurrence, when the same text occurs more than once in the section",
    )  # fmt: skip
    statement = serializers.CharField(max_length=MAX_TEXT, help_text="What is asserted, in your own words")
    therapy_class = serializers.ChoiceField(choices=v.TherapyClass.choices)
    direction = serializers.ChoiceField(choices=v.Direction.choices)
    model = serializers.ChoiceField(choices=v.ModelSystem.choices, required=False)
    citation_support = serializers.ChoiceField(choices=v.CitationSupport.choices, required=False)
    exosome_source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    mechanism = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True, help_text="Mechanism slug, or null"
    )
    notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    citations = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=MAX_RELATED,
        help_text="Citation keys, e.g. [\"lv2014b\"]",
    )  # fmt: skip
    drugs = _slug_list('Drug slugs, e.g. ["doxorubicin"]')
    cargo = _slug_list('Cargo slugs, e.g. ["abcb1"]')
    cell_lines = CellLineRoleSerializer(many=True, required=False, max_length=MAX_RELATED)
    allow_duplicate = serializers.BooleanField(
        required=False, write_only=True,
        help_text="Create the claim even if one with the same citation, drug and cargo exists",
    )  # fmt: skip

    def validate_section(self, number):
        section = (
            Section.objects.filter(source=source_default(), number=number).select_related("source").first()
        )
        if section is None:
            raise serializers.ValidationError(f"The review has no section {number!r}.")
        return section

    def validate_mechanism(self, slug):
        if not slug:
            return None
        return _resolve(Mechanism, "slug", [slug], "mechanism")[0]

    def validate_citations(self, keys):
        return _resolve(Citation, "key", keys, "citation")

    def validate_drugs(self, slugs):
        return _resolve(Drug, "slug", slugs, "drug")

    def validate_cargo(self, slugs):
        return _resolve(Cargo, "slug", slugs, "cargo")

    def validate_cell_lines(self, links):
        lines = _resolve(CellLine, "slug", [link["slug"] for link in links], "cell line")
        by_slug = {line.slug: line for line in lines}
        return list(dict.fromkeys((by_slug[link["slug"]], link["role"]) for link in links))
