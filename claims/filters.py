"""One filter vocabulary for the claim browser (HTML) and the API.

``/claims/?drug=ADM&drug=cisplatin&direction=promotes_resistance`` and the same query string on
``/api/claims/`` select the same claims. Entity parameters take a slug, a name or any alias,
case-insensitively; repeating a parameter means OR; different parameters combine with AND.
An unknown entity is a validation error naming the parameter and the value.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from claims import vocabulary as v
from claims.models import Cargo, CellLine, Citation, Claim, ClaimCellLine, Drug, Mechanism, Section
from claims.models.claim import search_terms

MAX_VALUES = 50
MAX_TEXT = 200


class TermsField(forms.Field):
    """A repeated text parameter, resolved to primary keys by ``resolve(values) -> {value: [pk]}``."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, resolve, noun, **kwargs):
        self.resolve, self.noun = resolve, noun
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [str(item).strip() for item in values if str(item).strip()]
        if len(values) > MAX_VALUES:
            raise ValidationError(f"At most {MAX_VALUES} values may be given.")
        for item in values:
            if len(item) > MAX_TEXT or "\x00" in item:
                raise ValidationError(
                    "'%(value)s…' is not a valid %(noun)s.", params={"value": item[:40], "noun": self.noun}
                )
        return values

    def clean(self, value):
        values = super().clean(value)
        if not values:
            return None
        found = self.resolve(values)
        missing = [item for item in values if not found.get(item)]
        if missing:
            # Messages are %-formatted later: user text goes in params, never in the format string.
            raise ValidationError(
                "No %(noun)s is named %(names)s.",
                params={"noun": self.noun, "names": ", ".join(repr(m) for m in missing)},
            )
        return sorted({pk for pks in found.values() for pk in pks})


class TermsFilter(django_filters.Filter):
    field_class = TermsField

    def __init__(self, *, through_filter, **kwargs):
        self.through_filter = through_filter
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(pk__in=self.through_filter(value))


def _entity_resolver(model, *, with_children=False):
    def resolve(values):
        rows = list(model.objects.matching(values).values_list("pk", "lookup_terms"))
        found = {}
        for value in values:
            needle = f"|{value.casefold()}|"
            found[value] = [pk for pk, terms in rows if needle in terms]
        if with_children and rows:
            children = dict(
                model.objects.filter(parent__in=[pk for pk, _ in rows]).values_list("pk", "parent_id")
            )
            for pks in found.values():
                pks += [child for child, parent in children.items() if parent in pks]
        return found

    return resolve


def _key_resolver(model, field):
    def resolve(values):
        rows = model.objects.filter(**{f"{field}__in": values}).values_list(field, "pk")
        found = {}
        for key, pk in rows:
            found.setdefault(key, []).append(pk)
        return found

    return resolve


def _through(model, column):
    return lambda ids: model.objects.filter(**{f"{column}__in": ids}).values("claim_id")


class SearchFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        return qs.search(value) if value else qs


ORDERING = [
    ("public_id", "id"),
    ("updated", "updated"),
    ("created", "created"),
    ("section__order", "section"),
    ("direction", "direction"),
    ("status", "status"),
]


class ClaimFilter(django_filters.FilterSet):
    drug = TermsFilter(
        label="Drug",
        through_filter=_through(Claim.drugs.through, "drug_id"),
        resolve=_entity_resolver(Drug),
        noun="drug",
    )
    cargo = TermsFilter(
        label="Cargo",
        through_filter=_through(Claim.cargo.through, "cargo_id"),
        resolve=_entity_resolver(Cargo),
        noun="cargo",
    )
    cargo_type = django_filters.MultipleChoiceFilter(
        label="Cargo type", choices=v.CargoType.choices, method="filter_cargo_type"
    )
    cell_line = TermsFilter(
        label="Cell line",
        through_filter=_through(ClaimCellLine, "cell_line_id"),
        resolve=_entity_resolver(CellLine),
        noun="cell line",
    )
    mechanism = TermsFilter(
        label="Mechanism",
        through_filter=lambda ids: Claim.objects.filter(mechanism_id__in=ids).values("pk"),
        resolve=_entity_resolver(Mechanism, with_children=True),
        noun="mechanism",
    )
    therapy_class = django_filters.MultipleChoiceFilter(label="Therapy class", choices=v.TherapyClass.choices)
    direction = django_filters.MultipleChoiceFilter(label="Direction", choices=v.Direction.choices)
    model = django_filters.MultipleChoiceFilter(label="Model system", choices=v.ModelSystem.choices)
    status = django_filters.MultipleChoiceFilter(label="Status", choices=v.CurationStatus.choices)
    citation_support = django_filters.MultipleChoiceFilter(
        label="Citation support", choices=v.CitationSupport.choices
    )
    section = TermsFilter(
        label="Section",
        through_filter=lambda ids: Claim.objects.filter(section_id__in=ids).values("pk"),
        resolve=_key_resolver(Section, "number"),
        noun="section",
    )
    citation = TermsFilter(
        label="Citation",
        through_filter=_through(Claim.citations.through, "citation_id"),
        resolve=_key_resolver(Citation, "key"),
        noun="citation key",
    )
    q = SearchFilter(label="Search", max_length=MAX_TEXT)
    ordering = django_filters.OrderingFilter(fields=ORDERING, label="Sort by")

    class Meta:
        model = Claim
        fields = []

    def filter_cargo_type(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            pk__in=Claim.cargo.through.objects.filter(cargo__cargo_type__in=value).values("claim_id")
        )

    @property
    def qs(self):
        queryset = super().qs
        query = self.form.cleaned_data.get("q") if self.is_bound and self.form.is_valid() else ""
        if query and not self.form.cleaned_data.get("ordering"):
            return queryset.ranked(query)
        return queryset


# The parameter names, in display order, that are facets (everything but q and ordering).
FACET_PARAMETERS = [
    "drug", "cargo", "cargo_type", "cell_line", "mechanism", "therapy_class", "direction", "model",
    "status", "citation_support", "section", "citation",
]  # fmt: skip


def filtered_claims(params, queryset=None):
    """Apply the claim filters to a QueryDict; returns the FilterSet (check ``.is_valid()``)."""
    return ClaimFilter(params, queryset=queryset if queryset is not None else Claim.objects.all())


class YearsField(forms.Field):
    """A repeated year parameter (OR)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        values = [str(item).strip() for item in values if str(item).strip()]
        if len(values) > MAX_VALUES:
            raise ValidationError(f"At most {MAX_VALUES} values may be given.")
        bad = [item for item in values if not item.isdigit() or not 1800 <= int(item) <= 2100]
        if bad:
            raise ValidationError(
                "%(values)s is not a year (1800 to 2100).",
                params={"values": ", ".join(repr(b[:40]) for b in bad)},
            )
        return sorted({int(item) for item in values})


class YearsFilter(django_filters.Filter):
    field_class = YearsField

    def filter(self, qs, value):
        return qs.filter(year__in=value) if value else qs


YES_NO = [("true", "yes"), ("false", "no")]


class CitationFilter(django_filters.FilterSet):
    """The citation list's filters (HTML and API): year, has_doi, stub, q."""

    year = YearsFilter(label="Year")
    has_doi = django_filters.ChoiceFilter(label="Has a DOI", choices=YES_NO, method="filter_has_doi")
    stub = django_filters.ChoiceFilter(label="Known only by its label", choices=YES_NO, method="filter_stub")
    q = django_filters.CharFilter(label="Search", max_length=MAX_TEXT, method="filter_q")

    class Meta:
        model = Citation
        fields = []

    def filter_has_doi(self, queryset, name, value):
        return queryset.exclude(doi="") if value == "true" else queryset.filter(doi="")

    def filter_stub(self, queryset, name, value):
        return queryset.stubs() if value == "true" else queryset.exclude(title="")

    def filter_q(self, queryset, name, value):
        """Every word in the key, label, authors, title, journal or DOI (case-insensitively)."""
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(key__icontains=term) | Q(label__icontains=term) | Q(authors__icontains=term)
                | Q(title__icontains=term) | Q(journal__icontains=term) | Q(doi__icontains=term)
            )  # fmt: skip
        return queryset
