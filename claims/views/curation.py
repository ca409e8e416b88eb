"""Creating and editing claims on the site: a form, a preview, then a save through the services.

The form works without JavaScript (entities are typed by name; a datalist suggests them);
claims/static/claims/curation.js only adds live suggestions. Saving an edit is optimistic: if
someone else saved the claim meanwhile, the two edits are merged field by field
(claims.services.claim_merge); only when both changed a field differently is nothing saved, and
the page shows both values with the curator's input kept.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from claims import vocabulary as v
from claims.forms import LOOKUPS, ROLE_FIELDS, ClaimForm
from claims.models import Claim
from claims.review_text import Anchor, paragraph_bounds
from claims.services.claim_fields import CHANGE_REASON_MAX, CHOICE_FIELDS, RELATION_FIELDS

# edit_compare is the merge's own rule: the preview shows what claim_merge_update will do, by that rule.
from claims.services.claim_merge import EditConflict, claim_merge_update, edit_compare
from claims.services.claim_writes import (
    StaleClaim,
    claim_check,
    claim_create,
    claim_create_once,
    claim_created_with,
    find_duplicates,
)
from claims.services.history import claim_proposed_changes, claim_revisions, claim_states, field_label
from claims.views.curation_workflow import curation_panel_context

PREVIEW, SAVE, EDIT = "preview", "save", "edit"


def sign_in_then_permission_required(permission):
    """Anonymous visitors are sent to sign in; signed-in users without ``permission`` get a 403.

    Unlike Django's ``permission_required``, which sends both to the sign-in page (or, with
    ``raise_exception``, refuses both with a 403).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _quote_context(anchor, section):
    """The paragraph around the quote, cut into before / quote / after for highlighting."""
    text = section.source.text
    start, _ = paragraph_bounds(text, anchor.start)
    _, end = paragraph_bounds(text, max(anchor.start, anchor.end - 1))
    return {"before": text[start : anchor.start], "quote": anchor.exact, "after": text[anchor.end : end]}


def _datalists():
    return {kind: lookup.options() for kind, lookup in LOOKUPS.items()}


def _render_form(request, form, *, claim=None, preview=None, status=200, **extra):
    context = {
        "form": form,
        "claim": claim,
        "preview": preview,
        "datalists": _datalists(),
        "edit_summary": request.POST.get("edit_summary", ""),
        "summary_max": CHANGE_REASON_MAX,
        **extra,
    }
    if claim is not None:
        context.update(curation_panel_context(request, claim, editing=True))
    return render(request, "claims/curation/claim_form.html", context, status=status)


def _edit_summary(request, form):
    """The curator's one-line summary of an edit; None (and a form error) when it cannot be kept."""
    summary = " ".join(request.POST.get("edit_summary", "").split())
    if len(summary) > CHANGE_REASON_MAX or "\x00" in summary:
        form.add_error(None, f"Edit summary: at most {CHANGE_REASON_MAX} characters, on one line.")
        return None
    return summary


def _preview(form, claim):
    """Validate through the services without writing; None (and form errors) when invalid."""
    fields = form.service_fields()
    try:
        check = claim_check(claim=claim, **fields)
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    duplicates = find_duplicates(
        citations=fields["citations"], drugs=fields["drugs"], cargo=fields["cargo"], exclude=claim
    )
    roles = dict(v.CellLineRole.choices)
    overtaken = _overtaken(claim, form.cleaned_data.get("version"), fields)
    # Fields changed meanwhile that this edit left alone: saving keeps them as saved, so they are
    # not the curator's changes (the form still holds their older values).
    kept = set(overtaken["kept"]) if overtaken else set()
    # The claim as saving would leave it: the form's values, but the kept ones as saved meanwhile.
    shown = {**fields, **_current_values(claim, kept)} if kept else fields
    anchor = check.anchor
    if "quote" in kept:
        anchor = Anchor(claim.quote_start, claim.quote_end, claim.quote, "", "")
    return {
        "check": check,
        "overtaken": overtaken,
        "fields": fields,
        "shown": shown,
        "anchor": anchor,
        "labels": {field.name: field.choices(shown[field.name]).label for field in CHOICE_FIELDS},
        "cell_lines": [(line, roles[role]) for line, role in shown["cell_lines"]],
        "quote": _quote_context(anchor, shown["section"]),
        "duplicates": duplicates,
        "changed": sorted(
            form.fields[name].label or name.replace("_", " ").capitalize()
            for name in check.changed
            if name in form.fields and name not in kept
        ),
        # Before and after of each changed field, as the history will show them (an edit only).
        "diffs": []
        if claim is None
        else [
            change
            for change in claim_proposed_changes(claim=claim, fields=fields, anchor=check.anchor)
            if change.name not in kept
        ],
    }


def _current_values(claim, names):
    """``claim``'s stored values of ``names``, as the services take them (entities as objects)."""
    values = {}
    for name in names:
        if name == "cell_lines":
            links = claim.cell_line_links.select_related("cell_line").order_by("cell_line__name")
            values[name] = [(link.cell_line, link.role) for link in links]
        elif name in RELATION_FIELDS:
            values[name] = list(getattr(claim, name).order_by("pk"))
        elif name == "quote":
            values.update(quote=claim.quote, section=claim.section)
        else:
            values[name] = getattr(claim, name)
    return values


def _overtaken(claim, version, fields):
    """When someone saved ``claim`` after the curator opened it at ``version``: the version they
    started from, the fields changed meanwhile that saving keeps (``kept``), and those both changed
    (``conflicts``: saving stops and shows both), by claim_merge_update's rule. None otherwise."""
    if claim is None or version is None or version >= claim.version:
        return None
    found = {"opened": version, "now": claim.version, "kept": [], "kept_labels": [], "conflicts": []}
    states = claim_states(claim, {version, claim.version})
    if len(states) < 2:  # no history to merge against: saving will refuse and say what moved
        return {**found, "unknown": _changed_since(claim, version)}
    mine, theirs, conflicts = edit_compare(fields, states[version], states[claim.version])
    kept = sorted(theirs - mine)
    return {
        **found,
        "kept": kept,
        "kept_labels": [field_label(name) for name in kept],
        "conflicts": [field_label(name) for name in conflicts],
    }


def _blocked_by_duplicates(form, preview):
    if preview["duplicates"] and not form.cleaned_data["not_duplicate"]:
        form.add_error("not_duplicate", "Similar claims exist: tick the box once you have checked them.")
        return True
    return False


@require_http_methods(["GET", "HEAD", "POST"])
@sign_in_then_permission_required("claims.add_claim")
def claim_create_view(request):
    if request.method != "POST":
        # /review/ links here with the curator's selection (section, quote, start) to prefill.
        return _render_form(request, ClaimForm.from_selection(request.GET))
    form = ClaimForm(request.POST)
    action = request.POST.get("action", PREVIEW)
    if action == EDIT or not form.is_valid():
        return _render_form(request, form, status=200 if action == EDIT else 400)
    token = form.cleaned_data["form_token"]
    # Before the duplicate check: the second submit's duplicate is the claim the first one made.
    if action == SAVE and token and (first := claim_created_with(user=request.user, token=token)):
        return _already_created(request, first)
    summary = _edit_summary(request, form)
    if summary is None:
        return _render_form(request, form, status=400)
    preview = _preview(form, None)
    if preview is None:
        return _render_form(request, form, status=400)
    if action != SAVE or _blocked_by_duplicates(form, preview):
        return _render_form(request, form, preview=preview, status=200 if action != SAVE else 400)
    fields = {**preview["fields"], "change_reason": summary}
    try:
        if token:
            claim, created = claim_create_once(user=request.user, token=token, **fields)
        else:
            claim, created = claim_create(user=request.user, **fields), True
    except ValidationError as error:  # the data changed between the check and the save
        form.add_service_errors(error)
        return _render_form(request, form, status=400)
    if not created:
        return _already_created(request, claim)
    messages.success(
        request, f"{claim.public_id} was created as a draft. Send it to review when it is ready."
    )
    return redirect(claim)


def _already_created(request, claim):
    if claim is None:
        messages.error(request, "This form was already submitted, and the claim it created has been deleted.")
        return redirect("claims:claim-list")
    messages.info(request, f"This form was already submitted: it created {claim.public_id}, shown here.")
    return redirect(claim)


def _changed_since(claim, version):
    """Labels of the fields other people changed after ``version``."""
    labels = []
    for revision in claim_revisions(claim):
        if revision.record.version > version:
            labels += [change.label for change in revision.changes if change.label not in labels]
    return labels


def _conflict(request, claim, stale):
    """Keep the curator's input, now based on the current version, and say what moved.

    After a merge refused for conflicting fields (EditConflict), the form takes the other
    changes it did not conflict with, so that saving it again keeps them; it lists each
    conflicting field with both values. Otherwise (no history to merge against) it names the
    fields changed meanwhile.
    """
    data = request.POST.copy()
    data["version"] = str(stale.claim.version)
    data["action"] = EDIT
    conflict = {"version": stale.claim.version}
    if isinstance(stale, EditConflict):
        current = ClaimForm.initial_for(claim)
        for name in stale.kept_fields:
            for form_name in ROLE_FIELDS.values() if name == "cell_lines" else [name]:
                value = current[form_name]
                data[form_name] = "" if value is None else str(value)
        conflict.update(conflicts=stale.conflicts, kept=stale.kept)
    else:
        conflict["fields"] = _changed_since(claim, stale.expected_version)
    form = ClaimForm(data, claim=claim)
    form.is_valid()
    return _render_form(request, form, claim=claim, status=409, conflict=conflict)


@require_http_methods(["GET", "HEAD", "POST"])
@sign_in_then_permission_required("claims.change_claim")
def claim_edit_view(request, public_id):
    claim = get_object_or_404(
        Claim.objects.select_related("section__source", "mechanism"), public_id=public_id
    )
    if request.method != "POST":
        return _render_form(request, ClaimForm(claim=claim), claim=claim)
    form = ClaimForm(request.POST, claim=claim)
    action = request.POST.get("action", PREVIEW)
    if action == EDIT or not form.is_valid():
        return _render_form(request, form, claim=claim, status=200 if action == EDIT else 400)
    summary = _edit_summary(request, form)
    if summary is None:
        return _render_form(request, form, claim=claim, status=400)
    preview = _preview(form, claim)
    if preview is None:
        return _render_form(request, form, claim=claim, status=400)
    if action != SAVE or _blocked_by_duplicates(form, preview):
        return _render_form(
            request, form, claim=claim, preview=preview, status=200 if action != SAVE else 400
        )
    version = form.cleaned_data["version"]
    if version is None:
        form.add_error(None, "The form lacks the version you edited; open the claim again.")
        return _render_form(request, form, claim=claim, status=400)
    try:
        merged = claim_merge_update(
            claim=claim,
            user=request.user,
            expected_version=version,
            change_reason=summary,
            **preview["fields"],
        )
    except StaleClaim as stale:
        return _conflict(request, claim, stale)
    except ValidationError as error:
        form.add_service_errors(error)
        return _render_form(request, form, claim=claim, status=400)
    kept = f" Changes saved meanwhile by others were kept: {', '.join(merged.kept)}." if merged.kept else ""
    if not merged.written:
        messages.info(request, f"Nothing changed: {claim.public_id} is as it was.{kept}")
    else:
        messages.success(request, f"{claim.public_id} was saved (version {claim.version}).{kept}")
    return redirect(claim)


@require_safe
def autocomplete_view(request, kind):
    """Suggestions for the claim form's entity fields: {"results": [{"value", "label"}]}."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    lookup = LOOKUPS.get(kind)
    if lookup is None:
        raise Http404(f"nothing to suggest for {kind!r}")
    # NUL cannot be sent to PostgreSQL; no name contains one, so it matches nothing.
    query = request.GET.get("q", "")[:100].replace("\x00", "")
    results = [{"value": s.value, "label": s.label} for s in lookup.suggest(query)]
    return JsonResponse({"results": results})
