"""Admin for the review (source, sections) and the citations it cites."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from claims.admin.widgets import CheckedAutocompleteMixin
from claims.models import Citation, CitationCheck, Section, Source


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["number", "title", "order"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "journal", "year", "doi"]
    inlines = [SectionInline]


class CitationCheckInline(CheckedAutocompleteMixin, admin.TabularInline):
    """One verdict per claim resting on the work; the row's header names the claim and verdict."""

    model = CitationCheck
    extra = 0
    fields = ["claim", "support", "level", "record", "checked", "note"]
    autocomplete_fields = ["claim"]
    verbose_name, verbose_name_plural = (
        "check of a claim against this work",
        "checks of claims against this work",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "citation")


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["key", "label", "year", "doi", "pmid", "resolution", "title", "claim_count"]
    search_fields = ["key", "label", "title", "doi", "pmid", "pmcid", "authors"]
    list_filter = ["resolution", "year", "entry_type"]
    list_per_page = 100
    readonly_fields = ["raw_bibtex"]
    inlines = [CitationCheckInline]

    def get_inline_instances(self, request, obj=None):
        # A new citation is cited by no claim yet, so it has nothing to check.
        return super().get_inline_instances(request, obj) if obj is not None else []

    fieldsets = [
        (None, {"fields": ["key", "label", "first_author", "year", "year_suffix", "entry_type"]}),
        (
            "Bibliographic record",
            {
                "fields": [
                    "author_names",
                    "authors",
                    "title",
                    "journal",
                    "journal_abbrev",
                    "volume",
                    "issue",
                    "pages",
                    "doi",
                    "pmid",
                    "pmcid",
                ]
            },
        ),
        ("Resolution", {"fields": ["resolution", "resolution_note", "candidates", "evidence", "checked"]}),
        ("BibTeX and notes", {"fields": ["notes", "bibtex_fields", "raw_bibtex"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_claim_counts()

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, citation):
        return citation.claim_count
