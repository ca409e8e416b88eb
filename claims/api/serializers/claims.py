"""Claims: the JSON downstream tools rely on, and the write payload curators' tools send.

Reading expects claims loaded by claims.selectors (``claims_with_relations``), whose ``loaded_*``
attributes it reads, so a page of claims costs a fixed number of queries. Writing takes relations by slug (entities) and key (citations); the payload is only
resolved here, the rules are claims.services.claim_writes'.
"""

from django.utils import timezone
from rest_framework import serializers

from claims import vocabulary as v
from claims.api.links import Links
from claims.api.serializers.citations import (
    CitationCheckRefSerializer,
    CitationRefSerializer,
    citation_check_ref,
    citation_ref,
)
from claims.api.serializers.entities import (
    CargoRefSerializer,
    CellLineRefSerializer,
    DrugRefSerializer,
    MechanismRefSerializer,
    TargetRefSerializer,
)
from claims.api.serializers.fields import PageLinkField
from claims.models import Cargo, CellLine, Citation, Claim, Drug, Mechanism, Section, Source, Target
from claims.search import parse_query, snippet
from claims.services.claim_fields import CHANGE_REASON_MAX, MAX_CLAIM_TEXT

MAX_RELATED = 100


class ClaimSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="Public id, e.g. CLM-0042")
    url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail", lookup_field="public_id")
    html_url = PageLinkField()
    section = serializers.CharField(source="section.number", help_text="Section number as in the review")
    section_title = serializers.CharField(source="section.title")
    # The relations as claims.selectors loaded them (see to_representation).
    citations = CitationRefSerializer(source="loaded_citations", many=True)
    citation_checks = CitationCheckRefSerializer(
        source="loaded_citation_checks",
        many=True,
        help_text="Per cited work: does it support the claim, and how deep was it checked",
    )
    drugs = DrugRefSerializer(source="loaded_drugs", many=True)
    cargo = CargoRefSerializer(source="loaded_cargo", many=True)
    targets = TargetRefSerializer(
        source="loaded_targets", many=True, help_text="What the cargo acts on, or what mediates it"
    )
    cited = serializers.SerializerMethodField(help_text="False when the review cites nothing for it")
    cell_lines = CellLineRefSerializer(source="loaded_cell_line_links", many=True)
    mechanism = MechanismRefSerializer(allow_null=True)
    flags_url = serializers.HyperlinkedIdentityField(view_name="api:claim-flags", lookup_field="public_id")
    search_snippet = serializers.SerializerMethodField(
        help_text="With `q`: where the search matched, as HTML: the statement, or else the stretch of the "
        "quote around the first matching word. The claim's text is HTML-escaped and the only markup added "
        "is `<mark>…</mark>` around each word matching the query (stemmed: `exosomes` marks `exosomal`). "
        "Null when the request has no `q`."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "url",
            "html_url",
            "statement",
            "quote",
            "quote_start",
            "quote_end",
            "quote_prefix",
            "quote_suffix",
            "section",
            "section_title",
            "citations",
            "citation_checks",
            "drugs",
            "cargo",
            "cargo_intervention",
            "targets",
            "cited",
            "cell_lines",
            "mechanism",
            "therapy_class",
            "direction",
            "model",
            "exosome_source",
            "status",
            "rejection_reason",
            "citation_support",
            "notes",
            "version",
            "created",
            "updated",
            "flags_url",
            "search_snippet",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "quote_start": {"help_text": "Character offset of the quote in the review text"},
            "quote_prefix": {"help_text": "Text just before the quote (W3C TextQuoteSelector prefix)"},
            "quote_suffix": {"help_text": "Text just after the quote (W3C TextQuoteSelector suffix)"},
            "version": {"help_text": "Bumped on every change; the ETag is built from it"},
        }

    def get_cited(self, claim) -> bool:
        return bool(claim.loaded_citations)

    def get_search_snippet(self, claim) -> str | None:
        return _search_snippet(self.context, claim)

    def to_representation(self, claim):
        """The fields above, built directly: the same output as DRF's field-by-field walk
        (``field_by_field``; tests/test_api_read.py compares the two on every claim), at a fraction
        of its cost on a page of claims with their hundreds of nested links."""
        links = Links.of(self.context)
        zone = _zone(self.context)
        section, mechanism = claim.section, claim.mechanism
        return {
            "id": claim.public_id,
            "url": links.url("api:claim-detail", claim.public_id),
            "html_url": links.url("claims:claim-detail", claim.public_id),
            "statement": claim.statement,
            "quote": claim.quote,
            "quote_start": claim.quote_start,
            "quote_end": claim.quote_end,
            "quote_prefix": claim.quote_prefix,
            "quote_suffix": claim.quote_suffix,
            "section": section.number,
            "section_title": section.title,
            "citations": [citation_ref(c, links) for c in claim.loaded_citations],
            "citation_checks": [citation_check_ref(check) for check in claim.loaded_citation_checks],
            "drugs": [
                {"slug": d.slug, "name": d.name, "url": links.url("api:drug-detail", d.slug)}
                for d in claim.loaded_drugs
            ],
            "cargo": [
                {
                    "slug": c.slug,
                    "name": c.name,
                    "type": _choice(c.cargo_type),
                    "url": links.url("api:cargo-detail", c.slug),
                }
                for c in claim.loaded_cargo
            ],
            "cargo_intervention": _choice(claim.cargo_intervention),
            "targets": [
                {
                    "slug": t.slug,
                    "name": t.name,
                    "type": _choice(t.target_type),
                    "url": links.url("api:target-detail", t.slug),
                }
                for t in claim.loaded_targets
            ],
            "cited": bool(claim.loaded_citations),
            "cell_lines": [
                {
                    "slug": link.cell_line.slug,
                    "name": link.cell_line.name,
                    "role": _choice(link.role),
                    "url": links.url("api:cell-line-detail", link.cell_line.slug),
                }
                for link in claim.loaded_cell_line_links
            ],
            "mechanism": None
            if mechanism is None
            else {
                "slug": mechanism.slug,
                "name": mechanism.name,
                "url": links.url("api:mechanism-detail", mechanism.slug),
            },
            "therapy_class": _choice(claim.therapy_class),
            "direction": _choice(claim.direction),
            "model": _choice(claim.model),
            "exosome_source": claim.exosome_source,
            "status": _choice(claim.status),
            "rejection_reason": claim.rejection_reason,
            "citation_support": _choice(claim.citation_support),
            "notes": claim.notes,
            "version": claim.version,
            "created": _datetime(claim.created, zone),
            "updated": _datetime(claim.updated, zone),
            "flags_url": links.url("api:claim-flags", claim.public_id),
            "search_snippet": _search_snippet(self.context, claim),
        }

    def field_by_field(self, claim):
        """DRF's generic representation of the declared fields (the reference for the one above)."""
        return super().to_representation(claim)


def _search_snippet(context, claim):
    """The claim's search snippet for the request's ``q`` (parsed once per response), or None."""
    return search_snippet(context, claim.statement, claim.quote)


def search_snippet(context, statement, quote):
    """``search_snippet`` of a claim with this statement and quote, for the serializer context's
    request (its ``q`` parsed once per response)."""
    if "search_groups" not in context:
        request = context.get("request")
        params = getattr(request, "query_params", None) or getattr(request, "GET", {})
        query = params.get("q", "")
        context["search_groups"] = parse_query(query)
    groups = context["search_groups"]
    return snippet(statement, quote, groups) if groups else None


def _zone(context):
    """The current time zone, looked up once per response (a context-local read each time otherwise)."""
    zone = context.get("timezone")
    if zone is None:
        zone = context["timezone"] = timezone.get_current_timezone()
    return zone


def _datetime(value, zone):
    # As DRF's DateTimeField gives it: in the current time zone, ISO 8601, UTC as "Z".
    text = timezone.localtime(value, zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _choice(value):
    # As DRF's ChoiceField gives it: the stored code (a TextChoices member as its plain value).
    return value if value in ("", None) else str(value)


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
    """A new claim, or changes to one: relations by slug or key, choices by their codes.

    One field per field of a claim (claims.services.claim_fields.CLAIM_FIELDS; a test checks
    that none is missing), plus ``allow_duplicate`` and the edit summary ``change_reason``.
    """

    section = serializers.CharField(
        max_length=20, help_text="Section number as in the review: abstract, 3.1, fig2"
    )
    quote = serializers.CharField(
        max_length=MAX_CLAIM_TEXT,
        trim_whitespace=False,
        help_text="The exact sentence(s) of the review, verbatim",
    )
    occurrence = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Which occurrence, when the same text occurs more than once in the section",
    )
    statement = serializers.CharField(
        max_length=MAX_CLAIM_TEXT, help_text="What is asserted, in your own words"
    )
    therapy_class = serializers.ChoiceField(choices=v.TherapyClass.choices)
    direction = serializers.ChoiceField(choices=v.Direction.choices)
    model = serializers.ChoiceField(choices=v.ModelSystem.choices, required=False)
    citation_support = serializers.ChoiceField(choices=v.CitationSupport.choices, required=False)
    exosome_source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    mechanism = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True, help_text="Mechanism slug, or null"
    )
    notes = serializers.CharField(max_length=MAX_CLAIM_TEXT, required=False, allow_blank=True)
    citations = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        max_length=MAX_RELATED,
        help_text='Citation keys, e.g. ["lv2014b"]',
    )
    drugs = _slug_list('Drug slugs, e.g. ["doxorubicin"]')
    cargo = _slug_list('Cargo slugs, e.g. ["abcb1"]')
    cargo_intervention = serializers.ChoiceField(
        choices=v.CargoIntervention.choices,
        required=False,
        help_text="What was done to the cargo: raised, lowered, measured or not_applicable",
    )
    targets = _slug_list('Target slugs: what the cargo acts on, e.g. ["pten"]')
    # many=True hands max_length to the ListSerializer it makes; the stubs do not list it.
    cell_lines = CellLineRoleSerializer(many=True, required=False, max_length=MAX_RELATED)  # type: ignore[call-arg]
    allow_duplicate = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="Create the claim even if one with the same citation, drug and cargo exists",
    )
    change_reason = serializers.CharField(
        max_length=CHANGE_REASON_MAX,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Edit summary: why the claim was added or changed, kept in its history",
    )

    def validate_section(self, number):
        section = (
            Section.objects.filter(source=Source.objects.the_review(), number=number)
            .select_related("source")
            .first()
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

    def validate_targets(self, slugs):
        return _resolve(Target, "slug", slugs, "target")

    def validate_cell_lines(self, links):
        lines = _resolve(CellLine, "slug", [link["slug"] for link in links], "cell line")
        by_slug = {line.slug: line for line in lines}
        return list(dict.fromkeys((by_slug[link["slug"]], link["role"]) for link in links))
