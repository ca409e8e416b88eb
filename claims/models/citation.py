from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from claims import vocabulary as v
from claims.url_templates import reverse_one


class CitationQuerySet(models.QuerySet):
    def get_by_natural_key(self, key):
        return self.get(key=key)

    def stubs(self):
        """Citations known only by their in-text label (not yet enriched from BibTeX)."""
        return self.filter(title="")

    def with_claim_counts(self):
        return self.annotate(claim_count=models.Count("claims", distinct=True))


class Citation(models.Model):
    """A work cited by the review, known at least by its in-text label."""

    key = models.CharField(max_length=60, unique=True, help_text="Stable key, e.g. wang2019a")
    label = models.CharField(max_length=200, unique=True, help_text="The in-text label exactly as printed")
    first_author = models.CharField(max_length=200, blank=True)
    authors = models.TextField(
        blank=True, help_text="All authors, 'Last, First and Last, First' as in BibTeX"
    )
    year = models.PositiveSmallIntegerField()
    year_suffix = models.CharField(max_length=2, blank=True)
    title = models.TextField(blank=True)
    journal = models.CharField(max_length=300, blank=True)
    volume = models.CharField(max_length=40, blank=True)
    pages = models.CharField(max_length=40, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PMID", max_length=12, blank=True)
    entry_type = models.CharField(max_length=20, choices=v.EntryType.choices, blank=True)
    bibtex_fields = models.JSONField(default=dict, blank=True, help_text="Every field of the imported entry")
    raw_bibtex = models.TextField(blank=True, help_text="The entry as imported")
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()

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
        ]
        indexes = [models.Index(fields=["year"], name="citation_year_idx")]

    def __str__(self):
        return self.label

    def natural_key(self):
        return (self.key,)

    def get_absolute_url(self):
        return reverse_one("claims:citation-detail", self.key)

    @property
    def is_stub(self):
        return not self.title

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self):
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""
