"""Workflow pages: move a claim between statuses, flag it, resolve a flag.

The rules (who may do what) are claims.services.workflow's; these views show its answers.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from claims import vocabulary as v
from claims.forms import FlagForm, FlagResolveForm, TransitionForm
from claims.models import Claim, Flag
from claims.services.bulk import TRANSITION_VERBS
from claims.services.claim_writes import StaleClaim
from claims.services.workflow import (
    allowed_transitions,
    claim_transition,
    flag_can_resolve,
    flag_raise,
    flag_resolve,
)

TRANSITION_LABELS = {
    v.CurationStatus.IN_REVIEW: "Send to review",
    v.CurationStatus.APPROVED: "Approve…",
    v.CurationStatus.REJECTED: "Reject…",
    v.CurationStatus.DRAFT: "Back to draft",
}


def curation_panel_context(request, claim, *, editing=False):
    """Context for templates/claims/curation/_curation_panel.html (a claim page's curation box).

    ``editing``: the panel sits beside the claim form, whose unsaved input a status change would drop.
    """
    allowed = set(allowed_transitions(claim, request.user))
    return {
        "transitions": [(status, label) for status, label in TRANSITION_LABELS.items() if status in allowed],
        "can_edit": request.user.has_perm("claims.change_claim"),
        "editing": editing,
    }


def _next_url(request, fallback):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _add_errors(form, error):
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def claim_transition_view(request, public_id):
    """GET: confirm (and give a reason for) a status change; POST: make it."""
    claim = get_object_or_404(Claim, public_id=public_id)
    if request.method != "POST":
        form = TransitionForm(initial={"to_status": request.GET.get("to_status"), "version": claim.version})
        return _transition_page(request, claim, form)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _transition_page(request, claim, form, status=400)
    to_status = form.cleaned_data["to_status"]
    try:
        claim_transition(
            claim=claim,
            user=request.user,
            to_status=to_status,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except PermissionDenied as refusal:
        form.add_error(None, str(refusal))
        return _transition_page(request, claim, form, status=403)
    except ValidationError as error:
        _add_errors(form, error)
        return _transition_page(request, claim, form, status=400)
    except StaleClaim as stale:
        form.add_error(None, f"{stale} Nothing was changed.")
        return _transition_page(request, claim, form, status=409)
    messages.success(request, f"{claim.public_id} was {TRANSITION_VERBS[to_status]}.")
    return redirect(_next_url(request, claim.get_absolute_url()))


def _transition_page(request, claim, form, status=200):
    to_status = form["to_status"].value()
    approving = to_status == v.CurationStatus.APPROVED
    context = {
        "claim": claim,
        "form": form,
        "allowed": allowed_transitions(claim, request.user),
        "to_status": to_status,
        "rejecting": to_status == v.CurationStatus.REJECTED,
        "approving": approving,
        # Approval publishes the claim as checked; an unchecked citation deserves a second look.
        "support_unchecked": approving and Claim.objects.filter(pk=claim.pk).citing_unchecked().exists(),
        "next": _next_url(request, ""),
    }
    return render(request, "claims/curation/transition.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def claim_flag_view(request, public_id):
    """Anyone signed in may flag a claim: a wrong drug, a misquote, an unsupported citation…"""
    claim = get_object_or_404(Claim, public_id=public_id)
    form = FlagForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            flag_raise(claim=claim, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Thank you: your flag on {claim.public_id} is visible on its page.")
            return redirect(claim)
    status = 400 if request.method == "POST" else 200
    return render(request, "claims/curation/flag_form.html", {"claim": claim, "form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def flag_resolve_view(request, pk):
    """Editors resolve flags, saying how."""
    flag = get_object_or_404(Flag.objects.select_related("claim", "raised_by"), pk=pk)
    if not flag_can_resolve(request.user):
        raise PermissionDenied("Only editors can resolve flags.")
    form = FlagResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag_resolve(flag=flag, user=request.user, resolution=form.cleaned_data["resolution"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"The flag on {flag.claim.public_id} was resolved.")
            return redirect(_next_url(request, flag.claim.get_absolute_url()))
    status = 400 if request.method == "POST" else 200
    return render(request, "claims/curation/flag_resolve.html", {"flag": flag, "form": form}, status=status)
