from collections.abc import Mapping, Sequence
from typing import Any, Self
from urllib.parse import urlencode

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from claims import vocabulary as v
from claims.url_templates import reverse_one


class CitationQuerySet(models.QuerySet["Citation"]):
    def get_by_natural_key(self, key: str) -> "Citation":
        return self.get(key=key)

    def stubs(self) -> Self:
        """Citations known only by their in-text label (not yet enriched from BibTeX)."""
        return self.filter(title="")

    def with_claim_counts(self) -> Any:  # rows carry claim_count, which the model type lacks
        return self.annotate(claim_count=models.Count("claims", distinct=True))


class Citation(models.Model):
    """A work cited by the review, known at least by its in-text label."""

    key = models.CharField(max_length=60, unique=True, help_text="Stable key, e.g. wang2019a")
    label = models.CharField(max_length=200, unique=True, help_text="The in-text label exactly as printed")
    first_author = models.CharField(max_length=200, blank=True)
    authors = models.TextField(
        blank=True, help_text="All authors, 'Last, First and Last, First' as in BibTeX"
    )
    author_names = models.JSONField(
        default=list, blank=True, help_text='All authors in order: [{"family": "Chen", "given": "Wei"}, …]'
    )
    year = models.PositiveSmallIntegerField()
    year_suffix = models.CharField(max_length=2, blank=True)
    title = models.TextField(blank=True)
    journal = models.CharField(max_length=300, blank=True)
    journal_abbrev = models.CharField("journal abbreviation", max_length=200, blank=True)
    volume = models.CharField(max_length=40, blank=True)
    issue = models.CharField(max_length=40, blank=True)
    pages = models.CharField(max_length=40, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PMID", max_length=12, blank=True)
    pmcid = models.CharField("PMCID", max_length=20, blank=True)
    resolution = models.CharField(
        max_length=12, choices=v.CitationResolution.choices, default=v.CitationResolution.UNCHECKED
    )
    resolution_note = models.TextField(blank=True, help_text="What was searched; why it is ambiguous")
    candidates = models.JSONField(
        default=list, blank=True, help_text="Candidate papers of an ambiguous or unresolved label"
    )
    evidence = models.JSONField(
        default=list, blank=True, help_text="Addresses of the records that confirmed the paper"
    )
    checked = models.DateField("date checked", null=True, blank=True)
    entry_type = models.CharField(max_length=20, choices=v.EntryType.choices, blank=True)
    bibtex_fields = models.JSONField(default=dict, blank=True, help_text="Every field of the imported entry")
    raw_bibtex = models.TextField(blank=True, help_text="The entry as imported")
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()
    # Set by the services before save() or delete(); django-simple-history records them.
    _history_user: Any
    _change_reason: str

    class Meta:
        ordering = ["first_author", "year", "year_suffix"]
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="citation_key_not_empty"),
            models.CheckConstraint(condition=~Q(label=""), name="citation_label_not_empty"),
            models.CheckConstraint(
                condition=Q(year__gte=1800) & Q(year__lte=2100), name="citation_year_range"
            ),
            models.CheckConstraint(
                condition=Q(doi="") | Q(doi__startswith="10."), name="citation_doi_format"
            ),
            models.CheckConstraint(
                condition=Q(entry_type__in=v.EntryType.values), name="citation_entry_type_valid"
            ),
            models.UniqueConstraint(Lower("doi"), condition=~Q(doi=""), name="citation_unique_doi"),
            models.CheckConstraint(
                condition=Q(pmcid="") | Q(pmcid__startswith="PMC"), name="citation_pmcid_format"
            ),
            models.CheckConstraint(
                condition=Q(resolution__in=v.CitationResolution.values), name="citation_resolution_valid"
            ),
        ]
        indexes = [models.Index(fields=["year"], name="citation_year_idx")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        # One owner for the two author forms: the structured list wins; a BibTeX-only import
        # (authors text, no list) gets its list parsed from the text.
        if self.author_names:
            self.authors = authors_as_bibtex(self.author_names)
        elif self.authors:
            self.author_names = parse_bibtex_authors(self.authors)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "authors", "author_names"}
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    def get_absolute_url(self) -> str:
        return reverse_one("claims:citation-detail", self.key)

    @property
    def is_stub(self) -> bool:
        return not self.title

    @property
    def short_authors(self) -> str:
        """Vancouver style: 'Chen W, Liu X, Lv M, et al.' (three names, then et al.)."""
        return format_authors_short(self.author_names)

    @property
    def short_reference(self) -> str:
        """'Chen W, Liu X, Lv M, et al. Title. J Abbrev. 2014;9:e95240.' for lists and rows."""
        journal = self.journal_abbrev or self.journal
        where = f"{self.year}"
        if self.volume:
            where += f";{self.volume}"
            if self.issue:
                where += f"({self.issue})"
        if self.pages:
            where += f":{self.pages}"
        parts = [self.short_authors, self.title.rstrip("."), journal, where]
        return ". ".join(p for p in parts if p) + "."

    @property
    def pmc_url(self) -> str:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.pmcid}/" if self.pmcid else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def pubmed_search_url(self) -> str:
        """With no PMID recorded: a PubMed search for the work by its DOI, else by its exact title
        (a search, not an identifier: nothing is claimed about what PubMed holds); else ''."""
        if self.pmid:
            return ""
        if self.doi:
            term = f"{self.doi}[doi]"
        elif self.title:
            term = f'"{self.title.rstrip(".")}"[ti]'
        else:
            return ""
        return "https://pubmed.ncbi.nlm.nih.gov/?" + urlencode({"term": term})


def _bibtex_name(name: Mapping[str, str]) -> str:
    family, given = name.get("family", ""), name.get("given", "")
    if given:
        return f"{family}, {given}"
    # A group ("Herceptin Adjuvant (HERA) Trial Study Team") is one family name: braced, so that
    # BibTeX does not split it into given names and a surname.
    if " " in family.strip() and not (family.startswith("{") and family.endswith("}")):
        return "{" + family + "}"
    return family


def authors_as_bibtex(names: Sequence[Mapping[str, str]]) -> str:
    """[{family, given}] -> 'Family, Given and Family, Given and {Group Name}'."""
    return " and ".join(_bibtex_name(n) for n in names)


def _unbrace(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text.startswith("{") and text.endswith("}"):
        return text[1:-1].strip()
    return text


def parse_bibtex_authors(text: str) -> list[dict[str, str]]:
    """'Family, Given and Given Family and {Consortium}' -> [{family, given}]."""
    names = []
    for part in (p.strip() for p in text.replace("\n", " ").split(" and ")):
        if not part:
            continue
        if part.startswith("{") and part.endswith("}") and "}" not in part[1:-1]:
            family, given = _unbrace(part), ""
        elif "," in part:
            family, given = (_unbrace(s) for s in part.split(",", 1))
        elif " " not in part:
            family, given = _unbrace(part), ""
        else:
            given, family = part.rsplit(" ", 1)
        names.append({"family": family, "given": given})
    return names


def _initials(given: str) -> str:
    return "".join(w[0] for w in given.replace("-", " ").replace(".", " ").split() if w[0].isalpha()).upper()


def format_authors_short(names: Sequence[Mapping[str, str]], *, limit: int = 3) -> str:
    """'Chen W, Liu X, Lv M, et al.'; no initials for group names."""
    shown = [f"{n.get('family', '')} {_initials(n.get('given', ''))}".strip() for n in names[:limit]]
    if len(names) > limit:
        shown.append("et al.")
    return ", ".join(shown)
