"""Admin for drugs, cargo, targets, cell lines and mechanisms, with merging of duplicates."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from claims.admin.widgets import CheckedAutocompleteMixin
from claims.models import Cargo, CellLine, Drug, Mechanism, Target
from claims.services.bulk import refusal_text
from claims.services.entity_writes import NAME_FIELDS, entity_check, entity_create, entity_update
from claims.services.merge import entities_merge


@admin.action(description="Merge the selected duplicates into one…", permissions=["merge"])
def merge_entities(model_admin, request, queryset):
    """Choose the entity to keep; the others are merged into it (claims re-pointed, aliases kept)."""
    entities = list(queryset.with_claim_counts().order_by("name"))
    if len(entities) < 2:
        model_admin.message_user(request, "Select at least two entities to merge.", messages.WARNING)
        return None
    choices = [(str(e.pk), f"{e.name} ({e.slug}; {e.claim_count} claims)") for e in entities]
    form_class = type(
        "MergeForm",
        (forms.Form,),
        {
            "keep": forms.ChoiceField(choices=choices, widget=forms.RadioSelect, label="Keep"),
        },
    )
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        keep = next(e for e in entities if str(e.pk) == form.cleaned_data["keep"])
        try:
            merged = entities_merge(
                keep=keep, merge=[e for e in entities if e.pk != keep.pk], user=request.user
            )
        except (ValidationError, PermissionDenied) as error:
            model_admin.message_user(request, f"Nothing was merged: {refusal_text(error)}", messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"Merged {', '.join(merged.merged)} into {keep.name}: {len(merged.claims)} claims re-pointed; "
                f"aliases added: {', '.join(merged.aliases_added) or 'none'}.",
                messages.SUCCESS,
            )
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Merge {model_admin.model._meta.verbose_name_plural}",
        "opts": model_admin.model._meta,
        "form": form,
        "entities": entities,
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "action": "merge_entities",
    }
    return TemplateResponse(request, "admin/claims/merge_entities.html", context)


class EntityAdminForm(forms.ModelForm):
    """Checks the names with the entity service in ``clean()``, so a name another entity answers
    to is shown by its field and nothing is saved; save_model then writes through the service."""

    def clean_aliases(self):
        return self._list_of_names("aliases")

    def clean_misprints(self):
        return self._list_of_names("misprints")

    def _list_of_names(self, name):
        value = self.cleaned_data[name]
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(term, str) for term in value):
            raise ValidationError('Give a JSON list of spellings, e.g. ["MCF7", "MCF 7"].')
        return value

    def clean(self):
        cleaned = super().clean()
        # A name field that failed its own validation is absent: the stored value is checked instead.
        names = {name: cleaned[name] for name in NAME_FIELDS if name in cleaned}
        try:
            entity_check(entity=self.instance, **names)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return cleaned


class EntityAdmin(CheckedAutocompleteMixin, SimpleHistoryAdmin):
    form = EntityAdminForm
    list_display = ["name", "slug", "alias_list", "misprint_list", "claim_count"]
    search_fields = ["name", "slug", "lookup_terms"]
    prepopulated_fields = {"slug": ["name"]}
    actions = [merge_entities]
    list_per_page = 100
    # Explicit: Meta.ordering is dropped from aggregated (claim-count) querysets, and the
    # autocomplete and changelist paginate them.
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).with_claim_counts()

    def has_merge_permission(self, request):
        # Merging deletes the duplicates, so it needs both rights (editors have them).
        return self.has_change_permission(request) and self.has_delete_permission(request)

    @admin.display(description="aliases")
    def alias_list(self, entity):
        return ", ".join(entity.aliases or [])

    @admin.display(description="misprinted in the review as")
    def misprint_list(self, entity):
        return ", ".join(entity.misprints or [])

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, entity):
        return entity.claim_count

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            entity_update(entity=obj, user=request.user, **changes)
        else:
            entity_create(entity=obj, user=request.user)


@admin.register(Drug)
class DrugAdmin(EntityAdmin):
    list_display = ["name", "slug", "alias_list", "drug_class", "chebi", "drugbank", "claim_count"]


@admin.register(Cargo)
class CargoAdmin(EntityAdmin):
    list_display = ["name", "slug", "alias_list", "cargo_type", "hgnc", "mirbase", "claim_count"]
    list_filter = ["cargo_type"]


@admin.register(Target)
class TargetAdmin(EntityAdmin):
    list_display = [
        "name",
        "slug",
        "alias_list",
        "misprint_list",
        "target_type",
        "hgnc",
        "uniprot",
        "claim_count",
    ]
    list_filter = ["target_type"]


@admin.register(CellLine)
class CellLineAdmin(EntityAdmin):
    list_display = [
        "name",
        "slug",
        "alias_list",
        "species",
        "subtype",
        "parent",
        "cellosaurus",
        "claim_count",
    ]
    list_filter = ["species", "subtype"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Mechanism)
class MechanismAdmin(EntityAdmin):
    list_display = ["name", "slug", "parent", "claim_count"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
