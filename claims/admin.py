"""Admin registration of every model (bulk-edit features build on these classes)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from claims.models import (
    Cargo,
    CellLine,
    Citation,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    Section,
    Source,
)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["number", "title", "order"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "journal", "year", "doi"]
    inlines = [SectionInline]


class EntityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "lookup_terms"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Drug)
class DrugAdmin(EntityAdmin):
    list_display = ["name", "slug", "drug_class", "chebi", "drugbank"]


@admin.register(Cargo)
class CargoAdmin(EntityAdmin):
    list_display = ["name", "slug", "cargo_type", "hgnc", "mirbase"]
    list_filter = ["cargo_type"]


@admin.register(CellLine)
class CellLineAdmin(EntityAdmin):
    list_display = ["name", "slug", "species", "subtype", "parent", "cellosaurus"]
    list_filter = ["species", "subtype"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Mechanism)
class MechanismAdmin(EntityAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["key", "label", "year", "doi", "title"]
    search_fields = ["key", "label", "title", "doi", "authors"]
    list_filter = ["year", "entry_type"]


class CellLineLinkInline(admin.TabularInline):
    model = ClaimCellLine
    extra = 0
    autocomplete_fields = ["cell_line"]


class FlagInline(admin.TabularInline):
    model = Flag
    extra = 0
    fields = ["kind", "text", "raised_by", "resolved_at", "resolution"]
    readonly_fields = ["raised_by"]


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ["public_id", "statement", "section", "direction", "status"]
    list_select_related = ["section"]
    search_fields = ["public_id", "statement", "quote", "citations__label"]
    autocomplete_fields = ["citations", "drugs", "cargo", "mechanism"]
    inlines = [CellLineLinkInline, FlagInline]
    readonly_fields = ["public_id", "quote_start", "quote_end", "quote_prefix", "quote_suffix", "version"]
