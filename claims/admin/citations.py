"""Admin for the review (source, sections) and the citations it cites."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from claims.models import Citation, Section, Source


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["number", "title", "order"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "journal", "year", "doi"]
    inlines = [SectionInline]


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["key", "label", "year", "doi", "title", "claim_count"]
    search_fields = ["key", "label", "title", "doi", "authors"]
    list_filter = ["year", "entry_type"]
    list_per_page = 100
    readonly_fields = ["raw_bibtex"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_claim_counts()

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, citation):
        return citation.claim_count
