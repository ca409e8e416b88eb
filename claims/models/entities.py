"""Controlled entities: drugs, exosomal cargo, cell lines and mechanisms."""

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from claims import vocabulary as v
from claims.url_templates import reverse_one

LOOKUP_SEPARATOR = "|"


def lookup_terms_for(name: str, slug: str, aliases: Iterable[str], misprints: Iterable[str] = ()) -> str:
    """'|name|slug|alias…|misprint…|' casefolded: lets one LIKE find an entity by any of its names."""
    terms = dict.fromkeys(
        str(t).strip().casefold() for t in [name, slug, *aliases, *misprints] if str(t).strip()
    )
    return LOOKUP_SEPARATOR + LOOKUP_SEPARATOR.join(terms) + LOOKUP_SEPARATOR


def lookup_needles(terms: Iterable[str]) -> list[str]:
    """'|term|' for each of ``terms`` that can name an entity (casefolded, without repeats): what
    ``lookup_terms`` must contain for the entity to answer to the term."""
    folded = (str(term).strip().casefold() for term in terms)
    return list(
        dict.fromkeys(
            f"{LOOKUP_SEPARATOR}{term}{LOOKUP_SEPARATOR}"
            for term in folded
            if term and LOOKUP_SEPARATOR not in term
        )
    )


class EntityQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug: str) -> Any:
        return self.get(slug=slug)

    def matching(self, terms: Iterable[str]) -> "EntityQuerySet":
        """Entities named by any of ``terms`` (slug, name or alias, case-insensitively)."""
        query = Q(pk__in=[])
        for needle in lookup_needles(terms):
            query |= Q(lookup_terms__contains=needle)
        return self.filter(query)

    def with_claim_counts(self) -> "EntityQuerySet":
        return self.annotate(claim_count=models.Count("claims", distinct=True))


class Entity(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other spellings, e.g. as printed in the review."
    )
    misprints = models.JSONField(
        default=list,
        blank=True,
        help_text="Spellings that are the review's typos: searchable, shown as such.",
    )
    lookup_terms = models.TextField(editable=False, default="")
    notes = models.TextField(blank=True)

    objects = EntityQuerySet.as_manager()
    url_name: str | None = None  # set by subclasses
    # Set by the services before save() or delete(); django-simple-history records them.
    _history_user: Any
    _change_reason: str

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.lookup_terms = lookup_terms_for(self.name, self.slug, self.aliases or [], self.misprints or [])
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "lookup_terms"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse_one(f"claims:{self.url_name}", self.slug)

    @property
    def identifiers(self) -> list[tuple[str, str, str]]:
        """(registry, accession, url) for every identifier that is set."""
        return [
            (label, value, pattern.format(value))
            for label, field, pattern in self.IDENTIFIERS
            if (value := getattr(self, field))
        ]

    # (registry label, field name, URL pattern) of each identifier the entity kind has.
    IDENTIFIERS: tuple[tuple[str, str, str], ...] = ()


class Drug(Entity):
    drug_class = models.CharField(max_length=100, blank=True)
    chebi = models.CharField("ChEBI", max_length=20, blank=True, help_text="e.g. CHEBI:28748")
    drugbank = models.CharField("DrugBank", max_length=20, blank=True, help_text="e.g. DB00997")
    ncit = models.CharField("NCIt", max_length=20, blank=True, help_text="e.g. C456")

    history = HistoricalRecords()
    url_name = "drug-detail"
    IDENTIFIERS = (
        ("ChEBI", "chebi", "https://www.ebi.ac.uk/chebi/searchId.do?chebiId={}"),
        ("DrugBank", "drugbank", "https://go.drugbank.com/drugs/{}"),
        ("NCIt", "ncit", "https://evsexplore.semantics.cancer.gov/evsexplore/concept/ncit/{}"),
    )

    class Meta(Entity.Meta):
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="drug_name_not_empty"),
            models.CheckConstraint(
                condition=Q(chebi="") | Q(chebi__startswith="CHEBI:"), name="drug_chebi_format"
            ),
            models.CheckConstraint(
                condition=Q(drugbank="") | Q(drugbank__startswith="DB"), name="drug_drugbank_format"
            ),
        ]


class Cargo(Entity):
    cargo_type = models.CharField(max_length=20, choices=v.CargoType.choices)
    hgnc = models.CharField("HGNC", max_length=20, blank=True, help_text="e.g. HGNC:40")
    mirbase = models.CharField("miRBase", max_length=20, blank=True, help_text="e.g. MIMAT0004748")
    uniprot = models.CharField("UniProt", max_length=20, blank=True)

    history = HistoricalRecords()
    url_name = "cargo-detail"
    IDENTIFIERS = (
        ("HGNC", "hgnc", "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/{}"),
        ("miRBase", "mirbase", "https://www.mirbase.org/mature/{}"),
        ("UniProt", "uniprot", "https://www.uniprot.org/uniprotkb/{}"),
    )

    class Meta(Entity.Meta):
        verbose_name_plural = "cargo"
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="cargo_name_not_empty"),
            models.CheckConstraint(condition=Q(cargo_type__in=v.CargoType.values), name="cargo_type_valid"),
            models.CheckConstraint(
                condition=Q(hgnc="") | Q(hgnc__startswith="HGNC:"), name="cargo_hgnc_format"
            ),
        ]
        indexes = [models.Index(fields=["cargo_type"], name="cargo_type_idx")]


class Target(Entity):
    """What exosomal cargo acts on, or what mediates its effect: not itself carried by exosomes."""

    target_type = models.CharField(max_length=20, choices=v.TargetType.choices)
    hgnc = models.CharField("HGNC", max_length=20, blank=True, help_text="e.g. HGNC:40")
    uniprot = models.CharField("UniProt", max_length=20, blank=True)

    history = HistoricalRecords()
    url_name = "target-detail"
    IDENTIFIERS = (
        ("HGNC", "hgnc", "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/{}"),
        ("UniProt", "uniprot", "https://www.uniprot.org/uniprotkb/{}"),
    )

    class Meta(Entity.Meta):
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="target_name_not_empty"),
            models.CheckConstraint(
                condition=Q(target_type__in=v.TargetType.values), name="target_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(hgnc="") | Q(hgnc__startswith="HGNC:"), name="target_hgnc_format"
            ),
        ]


class CellLine(Entity):
    species = models.CharField(max_length=10, choices=v.Species.choices, blank=True)
    subtype = models.CharField("breast-cancer subtype", max_length=10, choices=v.Subtype.choices, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived"
    )
    cellosaurus = models.CharField("Cellosaurus", max_length=20, blank=True, help_text="e.g. CVCL_0031")

    history = HistoricalRecords()
    url_name = "cell-line-detail"
    IDENTIFIERS = (("Cellosaurus", "cellosaurus", "https://www.cellosaurus.org/{}"),)

    class Meta(Entity.Meta):
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="cellline_name_not_empty"),
            models.CheckConstraint(
                condition=Q(species="") | Q(species__in=v.Species.values), name="cellline_species_valid"
            ),
            models.CheckConstraint(
                condition=Q(subtype="") | Q(subtype__in=v.Subtype.values), name="cellline_subtype_valid"
            ),
            models.CheckConstraint(
                condition=Q(cellosaurus="") | Q(cellosaurus__startswith="CVCL_"),
                name="cellline_cellosaurus_format",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="cellline_not_own_parent"),
        ]


class Mechanism(Entity):
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)

    history = HistoricalRecords()
    url_name = "mechanism-detail"

    class Meta(Entity.Meta):
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="mechanism_name_not_empty"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="mechanism_not_own_parent"),
        ]
