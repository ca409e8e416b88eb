"""Bulk actions on the claim changelist. Each one runs the single-claim services on every
selected claim (claims/services/bulk.py) and reports what was changed and what was refused."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from claims import vocabulary as v
from claims.admin.forms import ApproveForm, CitationSupportForm, RejectForm, TherapyClassForm, related_form
from claims.admin.undo import undo_remember
from claims.exports import claims_csv_response
from claims.models import Claim
from claims.services.bulk import (
    TRANSITION_VERBS,
    BulkOutcome,
    claims_add_entity,
    claims_remove_entity,
    claims_set,
    claims_transition,
)

REFUSALS_SHOWN = 20
LISTED = 50  # claims listed by name on an action's form page


def report(model_admin, request, outcome, verb):
    """One summary message, then one message per refused claim (saying why)."""
    model_admin.message_user(
        request, outcome.summary(verb), messages.WARNING if outcome.refused else messages.SUCCESS
    )
    for public_id, why in outcome.refused[:REFUSALS_SHOWN]:
        model_admin.message_user(request, f"{public_id} was not changed: {why}", messages.ERROR)
    if len(outcome.refused) > REFUSALS_SHOWN:
        model_admin.message_user(
            request, f"… and {len(outcome.refused) - REFUSALS_SHOWN} more refused.", messages.ERROR
        )


def _form_step(model_admin, request, queryset, *, action, form_class, title, submit, apply, notice=""):
    """Ask for the action's input on a page of its own; on a valid submission, apply it."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        apply(form.cleaned_data)
        return None  # back to the changelist, with the report in messages
    count = queryset.count()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        "action": action,
        "submit": submit,
        "count": count,
        "claims": queryset.order_by("public_id")[:LISTED],
        "more": max(0, count - LISTED),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across") == "1",
        "media": model_admin.media + form.media,
        "notice": notice,
    }
    return TemplateResponse(request, "admin/claims/claim/action_form.html", context)


def _transition(to_status):
    def action(model_admin, request, queryset):
        outcome = claims_transition(claims=queryset, user=request.user, to_status=to_status)
        report(model_admin, request, outcome, TRANSITION_VERBS[to_status])

    return action


UNCHECKED_REFUSAL = (
    "nobody has checked that its cited work supports it (citation support is “not checked”); "
    "record a verdict first, or approve it on its own page after reading the warning there."
)


@admin.action(description="Approve the selected claims…", permissions=["review"])
def approve(model_admin, request, queryset):
    """Asks for confirmation (and an optional comment) first; claims with unchecked support are refused."""

    def apply(data):
        unchecked = list(queryset.citing_unchecked().order_by("public_id").values_list("pk", "public_id"))
        outcome = claims_transition(
            claims=queryset.exclude(pk__in=[pk for pk, _ in unchecked]),
            user=request.user,
            to_status=v.CurationStatus.APPROVED,
            reason=data["comment"],
        )
        refused = [(public_id, UNCHECKED_REFUSAL) for _, public_id in unchecked] + outcome.refused
        outcome = BulkOutcome(outcome.changed, outcome.unchanged, refused)
        report(model_admin, request, outcome, "approved")
        undo_remember(request, public_ids=outcome.changed, to_status=v.CurationStatus.APPROVED)

    unchecked = queryset.citing_unchecked().count()
    notice = f"{unchecked} of them cite work nobody has checked and will be refused." if unchecked else ""
    return _form_step(
        model_admin,
        request,
        queryset,
        action="approve",
        form_class=ApproveForm,
        title="Approve claims",
        submit="Approve",
        apply=apply,
        notice=notice,
    )


send_to_review = admin.action(description="Send the selected claims to review", permissions=["change"])(
    _transition(v.CurationStatus.IN_REVIEW)
)
send_to_review.__name__ = "send_to_review"


@admin.action(description="Reject the selected claims (with a reason)…", permissions=["review"])
def reject(model_admin, request, queryset):
    def apply(data):
        outcome = claims_transition(
            claims=queryset, user=request.user, to_status=v.CurationStatus.REJECTED, reason=data["reason"]
        )
        report(model_admin, request, outcome, "rejected")
        undo_remember(request, public_ids=outcome.changed, to_status=v.CurationStatus.REJECTED)

    return _form_step(
        model_admin,
        request,
        queryset,
        action="reject",
        form_class=RejectForm,
        title="Reject claims",
        submit="Reject",
        apply=apply,
    )


def _setter(name, form_class, description, field):
    def action(model_admin, request, queryset):
        def apply(data):
            outcome = claims_set(claims=queryset, user=request.user, **{field: data[field]})
            report(model_admin, request, outcome, "changed")

        return _form_step(
            model_admin,
            request,
            queryset,
            action=name,
            form_class=form_class,
            title=description.rstrip("…"),
            submit="Apply",
            apply=apply,
        )

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


set_therapy_class = _setter("set_therapy_class", TherapyClassForm, "Set the therapy class…", "therapy_class")
set_citation_support = _setter(
    "set_citation_support", CitationSupportForm, "Set the citation-support verdict…", "citation_support"
)


@admin.action(description="Set the mechanism…", permissions=["change"])
def set_mechanism(model_admin, request, queryset):
    def apply(data):
        report(
            model_admin,
            request,
            claims_set(claims=queryset, user=request.user, mechanism=data["entity"]),
            "changed",
        )

    form_class = related_form(model_admin.admin_site, "mechanism", "Mechanism")
    return _form_step(
        model_admin,
        request,
        queryset,
        action="set_mechanism",
        form_class=form_class,
        title="Set the mechanism",
        submit="Apply",
        apply=apply,
    )


def _entity_action(name, relation, service, description, label):
    def action(model_admin, request, queryset):
        def apply(data):
            outcome = service(claims=queryset, user=request.user, relation=relation, entity=data["entity"])
            report(model_admin, request, outcome, "changed")

        form_class = related_form(model_admin.admin_site, relation, label)
        return _form_step(
            model_admin,
            request,
            queryset,
            action=name,
            form_class=form_class,
            title=description.rstrip("…"),
            submit="Apply",
            apply=apply,
        )

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


add_drug = _entity_action("add_drug", "drugs", claims_add_entity, "Add a drug…", "Drug")
remove_drug = _entity_action("remove_drug", "drugs", claims_remove_entity, "Remove a drug…", "Drug")
add_cargo = _entity_action("add_cargo", "cargo", claims_add_entity, "Add a cargo…", "Cargo")
remove_cargo = _entity_action("remove_cargo", "cargo", claims_remove_entity, "Remove a cargo…", "Cargo")


@admin.action(description="Export the selected claims as CSV", permissions=["view"])
def export_csv(model_admin, request, queryset):
    """The API's CSV (same columns, same writer), for exactly the selected claims."""
    claims = Claim.objects.for_display().filter(pk__in=queryset.values("pk")).order_by("public_id")
    return claims_csv_response(request, claims, filename="exoclaims-selected-claims.csv")


CLAIM_ACTIONS = [
    approve,
    send_to_review,
    reject,
    set_mechanism,
    set_therapy_class,
    set_citation_support,
    add_drug,
    remove_drug,
    add_cargo,
    remove_cargo,
    export_csv,
]
