"""The claim admin: a fast changelist with facets, list editing and bulk actions, and a change
form whose saves go through claim_create / claim_update like every other write."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from claims.admin.actions import CLAIM_ACTIONS, report
from claims.admin.filters import FACET_FILTERS
from claims.admin.forms import ClaimAdminForm, list_edit_form, mechanism_choices
from claims.admin.undo import claims_undo_decision, undo_offer
from claims.admin.widgets import CheckedAutocompleteMixin, ListEditSelect
from claims.models import Cargo, CitationCheck, Claim, ClaimCellLine, Drug, Flag
from claims.services.bulk import BulkOutcome, refusal_text
from claims.services.claim_writes import StaleClaim, claim_update
from claims.services.history import claim_restore
from claims.services.workflow import claim_transition

CONTENT_COLUMNS = ["mechanism", "therapy_class", "direction"]


def _citation_link_text(link):
    return f"Cites {link.citation.label}"


# Each inline row is headed by its object's str(); the auto-created link model's would read
# "Claim_citations object (66)".
Claim.citations.through.__str__ = _citation_link_text


class CitationInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = Claim.citations.through
    extra = 0
    autocomplete_fields = ["citation"]
    verbose_name, verbose_name_plural = "citation", "citations"
    relation = "citations"  # the claim field its rows set (see ClaimAdmin.posted_relations)

    @staticmethod
    def relation_value(row):
        return row["citation"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("citation")


class CitationCheckInline(admin.TabularInline):
    """The verdicts on the claim's cited works, shown here and edited on each citation's page
    (the claim form saves through claim_update, which does not write checks)."""

    model = CitationCheck
    extra = 0
    fields = ["citation", "support", "level", "record", "checked", "note"]
    readonly_fields = fields
    can_delete = False
    verbose_name, verbose_name_plural = "check of a cited work", "checks of the cited works"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "citation")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CellLineLinkInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = ClaimCellLine
    extra = 0
    autocomplete_fields = ["cell_line"]
    verbose_name, verbose_name_plural = "cell line", "cell lines"
    relation = "cell_lines"

    @staticmethod
    def relation_value(row):
        return (row["cell_line"], row["role"])

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cell_line")  # each row is headed by its name


class FlagInline(admin.TabularInline):
    """Flags are raised and resolved through the workflow (site pages, FlagAdmin), not edited here."""

    model = Flag
    extra = 0
    fields = ["kind", "text", "raised_by", "raised_at", "resolved_at", "resolution"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "raised_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(CheckedAutocompleteMixin, SimpleHistoryAdmin):
    form = ClaimAdminForm
    list_display = [
        "public_id",
        "short_statement",
        "drug_names",
        "cargo_names",
        "mechanism",
        "status",
        "citation_support",
        "therapy_class",
        "direction",
    ]
    list_editable = ["status", *CONTENT_COLUMNS]
    list_select_related = ["mechanism"]
    list_filter = FACET_FILTERS
    list_per_page = 100
    show_facets = admin.ShowFacets.NEVER  # the facet filters already show counts, one query each
    search_fields = ["public_id", "statement", "quote", "citations__label"]
    search_help_text = "Searches the public id, statement, quote and citation labels."
    autocomplete_fields = ["drugs", "cargo", "targets", "mechanism"]
    inlines = [CitationInline, CitationCheckInline, CellLineLinkInline, FlagInline]
    actions = CLAIM_ACTIONS
    readonly_fields = [
        "public_id",
        "status",
        "rejection_reason",
        "version",
        "quote_start",
        "quote_end",
        "created",
        "created_by",
        "updated",
        "updated_by",
        "site_links",
    ]
    fieldsets = [
        (None, {"fields": ["public_id", "status", "rejection_reason", "version", "site_links"]}),
        (
            "Where the review says it",
            {"fields": ["section", "quote", "occurrence", "quote_start", "quote_end"]},
        ),
        ("What it claims", {"fields": ["statement", "direction", "therapy_class", "model"]}),
        (
            "What it is about",
            {"fields": ["drugs", "cargo", "cargo_intervention", "targets", "exosome_source", "mechanism"]},
        ),
        (
            "Curation",
            {
                "fields": [
                    "citation_support",
                    "notes",
                    "change_reason",
                    "expected_version",
                    "created",
                    "created_by",
                    "updated",
                    "updated_by",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("drugs", queryset=Drug.objects.only("id", "name").order_by("name")),
                Prefetch("cargo", queryset=Cargo.objects.only("id", "name").order_by("name")),
            )
        )

    def has_review_permission(self, request):
        return request.user.has_perm("claims.review_claim")

    @admin.display(description="statement")
    def short_statement(self, claim):
        short = Truncator(claim.statement).chars(120)
        if short == claim.statement:
            return short
        return format_html('<span title="{}">{}</span>', claim.statement, short)

    @admin.display(description="drugs")
    def drug_names(self, claim):
        return ", ".join(drug.name for drug in claim.drugs.all())

    @admin.display(description="cargo")
    def cargo_names(self, claim):
        return ", ".join(item.name for item in claim.cargo.all())

    @admin.display(description="on the site")
    def site_links(self, claim):
        if not claim.pk:
            return "—"
        return format_html(
            '<a href="{}">claim page</a> · <a href="{}">history with diffs</a> · <a href="{}">edit on the site</a>',
            claim.get_absolute_url(),
            reverse("claims:claim-history", args=[claim.public_id]),
            reverse("claims:claim-edit", args=[claim.public_id]),
        )

    # The change form: ClaimAdminForm checks and saves through the services.

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        def posted_relations():
            return self.posted_relations(request, obj)

        return type(form.__name__, (form,), {"posted_relations": staticmethod(posted_relations)})

    def posted_relations(self, request, obj):
        """The citations and cell lines in the inline rows posted with the change form, read by
        the inlines' own formsets: {name: value}, or None while a row is invalid (the page shows
        that row's errors). Rows a user may only view are left out, so they stay as they are."""
        relations = {}
        for inline in self.get_inline_instances(request, obj):
            name = getattr(inline, "relation", None)
            if name is None or not inline.has_change_permission(request, obj):
                continue
            FormSet = inline.get_formset(request, obj)
            formset = FormSet(**self.get_formset_kwargs(request, obj, inline, FormSet.get_default_prefix()))
            if not formset.is_valid():
                return None
            rows = [
                f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            relations[name] = [inline.relation_value(row) for row in rows]
        return relations

    def save_model(self, request, obj, form, change):
        """Nothing here: save_related writes the claim with its inline rows in one service call."""

    def save_related(self, request, form, formsets, change):
        claim = form.save_claim(user=request.user)
        # The admin's responses and log entries read the form's instance: give it the saved claim.
        for field in Claim._meta.concrete_fields:
            setattr(form.instance, field.attname, getattr(claim, field.attname))

    def construct_change_message(self, request, form, formsets, add=False):
        if add:
            return [{"added": {}}]
        changed = [
            str(form.fields[name].label or name)
            for name in form.changed_data
            if name not in ("expected_version", "change_reason")
        ]
        changed += [str(fs.model._meta.verbose_name_plural) for fs in formsets or [] if fs.has_changed()]
        return [{"changed": {"fields": changed}}] if changed else ""

    # list_editable: status goes through the workflow, the rest through claim_update.

    def get_changelist_form(self, request, **kwargs):
        form = list_edit_form(
            super().get_changelist_form(request, **kwargs),
            mechanism_choices(),
            can_review=self.has_review_permission(request),
        )

        # Four selects a row, 100 rows: drawn by ListEditSelect rather than an include per option.
        class ListEditForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    if type(field.widget) is forms.Select:
                        widget = ListEditSelect(attrs=field.widget.attrs)
                        widget.choices = field.choices
                        field.widget = widget

        return ListEditForm

    def changelist_view(self, request, extra_context=None):
        # Ten columns and the filters fit 1366 px only without the app list beside them (the
        # breadcrumbs lead back to it).
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        offer = undo_offer(request)  # made on the page a bulk decision returns to, and only there
        if offer and request.method == "GET":
            extra_context["bulk_undo"] = offer
        if request.method == "POST" and "_save" in request.POST and self.has_change_permission(request):
            response = self._save_list_edits(request)
            if response is not None:
                return response
        return super().changelist_view(request, extra_context)

    def _save_list_edits(self, request):
        """Apply the changed rows; None lets Django re-render an invalid formset with its errors."""
        FormSet = self.get_changelist_formset(request)
        prefix = FormSet.get_default_prefix()
        try:
            total = int(request.POST.get(f"{prefix}-TOTAL_FORMS", ""))
            ids = [int(request.POST[f"{prefix}-{i}-id"]) for i in range(min(total, self.list_per_page))]
        except (KeyError, ValueError):
            return None
        formset = FormSet(request.POST, request.FILES, queryset=self.get_queryset(request).filter(pk__in=ids))
        if not formset.is_valid():
            return None
        outcome = BulkOutcome()
        for form in formset.forms:
            if form.has_changed():
                self._apply_list_edit(request, form, outcome)
        report(self, request, outcome, "changed")
        return HttpResponseRedirect(request.get_full_path())

    def _apply_list_edit(self, request, form, outcome):
        claim = Claim.objects.get(pk=form.instance.pk)
        changed = form.changed_data
        moved = [name for name in changed if _value(getattr(claim, name)) != _value(form.seen_value(name))]
        if moved:
            outcome.refused.append(
                (claim.public_id, f"someone else changed {', '.join(moved)} meanwhile; reload the list.")
            )
            return
        content = {name: form.cleaned_data[name] for name in changed if name in CONTENT_COLUMNS}
        try:
            # One row is all or nothing: an edit refused by the workflow also undoes the row's content changes.
            with transaction.atomic():
                if content:
                    claim_update(
                        claim=claim,
                        user=request.user,
                        expected_version=claim.version,
                        change_reason="admin list edit",
                        **content,
                    )
                if "status" in changed:
                    claim_transition(claim=claim, user=request.user, to_status=form.cleaned_data["status"])
        except (ValidationError, PermissionDenied, StaleClaim) as error:
            outcome.refused.append((claim.public_id, refusal_text(error)))
            return
        self.log_change(request, claim, [{"changed": {"fields": changed}}])
        outcome.changed.append(claim.public_id)

    # Undo of a bulk approval or rejection (claims/admin/undo.py).

    def get_urls(self):
        undo = path("undo/", self.admin_site.admin_view(self.undo_view), name="claims_claim_undo")
        return [undo, *super().get_urls()]

    def undo_view(self, request):
        return _undo(request, self)

    # History: "revert" restores through claim_update (validated, versioned, reviewed).

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        claim = get_object_or_404(Claim, pk=unquote(object_id))
        if not self.has_change_permission(request, claim):
            raise PermissionDenied
        try:
            claim_restore(claim=claim, history_id=int(version_id), user=request.user)
        except (ValidationError, PermissionDenied, StaleClaim, Claim.history.model.DoesNotExist) as error:
            self.message_user(
                request, f"{claim.public_id} was not restored: {refusal_text(error)}", messages.ERROR
            )
        else:
            self.message_user(request, f"{claim.public_id} was restored (now version {claim.version}).")
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))


@require_POST
def _undo(request, model_admin):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    outcome = claims_undo_decision(entries=request.POST.getlist("claims"), user=request.user)
    if outcome is None:
        model_admin.message_user(request, "Nothing to undo: the form named no claims.", messages.WARNING)
    else:
        report(model_admin, request, outcome, "sent back to review")
    return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))


def _value(value):
    return value.pk if hasattr(value, "_meta") else value
