from typing import Any

from django.db import models


class SourceManager(models.Manager["Source"]):
    def get_by_natural_key(self, doi: str) -> "Source":
        return self.get(doi=doi)

    def the_review(self) -> "Source | None":
        """The transcribed review: the first source loaded (benchmark corpora come later). The one
        way every page, serializer, download and form finds it."""
        return self.order_by("pk").first()

    def the_review_pk(self) -> "models.QuerySet[Source, Any]":
        """The review's pk as a subquery, for filters that should not cost a query of their own."""
        return self.order_by("pk").values("pk")[:1]


class Source(models.Model):
    """A transcribed publication (the review) and its full text, which quotes point into."""

    title = models.CharField(max_length=500)
    authors = models.CharField(max_length=500)
    journal = models.CharField(max_length=300)
    volume = models.CharField(max_length=20, blank=True)
    article_number = models.CharField(max_length=40, blank=True)
    year = models.PositiveSmallIntegerField()
    published = models.CharField(
        max_length=20, blank=True, help_text="Publication date as printed, e.g. 2024-01"
    )
    doi = models.CharField("DOI", max_length=200, unique=True)
    licence = models.CharField(max_length=100)
    licence_url = models.URLField(blank=True)
    text = models.TextField(help_text="The full text; claim quotes are character spans of it.")

    objects = SourceManager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(doi=""), name="source_doi_not_empty"),
            models.CheckConstraint(condition=~models.Q(text=""), name="source_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.authors.split(',')[0]} et al. {self.year}. {self.title}"

    def natural_key(self) -> tuple[str]:
        return (self.doi,)


class SectionQuerySet(models.QuerySet["Section"]):
    def get_by_natural_key(self, doi: str, number: str) -> "Section":
        return self.get(source__doi=doi, number=number)


class Section(models.Model):
    """A numbered section of a source ("3.1"), the abstract, or a figure caption ("fig2")."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField()
    # Character ranges of the source text that belong to this section: [[start, end], ...].
    spans = models.JSONField(default=list)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["source", "order"]
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="section_unique_number"),
            models.UniqueConstraint(fields=["source", "order"], name="section_unique_order"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.number.startswith("fig"):
            return self.title
        if self.number == "abstract":
            return "Abstract"
        return f"{self.number} {self.title}"

    @property
    def slug(self) -> str:
        return self.number

    def natural_key(self) -> tuple[str, str]:
        return (*self.source.natural_key(), self.number)

    natural_key.dependencies = ["claims.source"]  # type: ignore[attr-defined]
