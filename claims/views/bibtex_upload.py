"""Curators import BibTeX from the browser: upload, see what the import would do, then confirm.

The uploaded file waits in the session (compressed) between preview and confirmation, so every
web process can finish it; the confirmation re-runs the import and writes only if the plan is
still the one previewed (anything else shows the new plan instead).
"""

import base64
import zlib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from claims.services.bibtex import BibtexRefused, PlanChanged, bibtex_import
from claims.services.bibtex.parse import human_size, size_problem

SESSION_KEY = "bibtex_upload"
PERMISSION = "claims.change_citation"

# The preview speaks a curator's language: the import's outcomes, matching rules and field names
# are the pipeline's vocabulary (claims/services/bibtex), said here as a curator would say them.
OUTCOME_WORDS = {  # outcome: (table title, what it means, how the summary counts it)
    "new": ("New citations", "works the review's list does not have yet; they are added", "new"),
    "enriched": (
        "Citations that gain details",
        "known citations the file completes (DOI, journal, pages…)",
        "gaining details",
    ),
    "unchanged": (
        "Already up to date",
        "the file says nothing these citations do not already hold",
        "already up to date",
    ),
    "conflicting": (
        "Need your decision",
        "not imported: the file disagrees with what is stored, or could be several works",
        "needing your decision",
    ),
}
DISAGREES = "the file disagrees with stored values"
MATCH_WORDS = {
    "DOI": "same DOI",
    "first author, year and suffix": "same first author, year and letter (2019a, 2019b…)",
    "first author and year": "same first author and year",
    "first author, year and order in the file": "same first author and year, in the order the review lists them",
}
FIELD_WORDS = {
    "entry_type": "Kind of publication",
    "authors": "Authors",
    "title": "Title",
    "journal": "Journal",
    "journal_abbrev": "Journal (abbreviated)",
    "volume": "Volume",
    "issue": "Issue",
    "pages": "Pages",
    "doi": "DOI",
    "pmid": "PubMed id",
    "pmcid": "PubMed Central id",
    "first_author": "First author",
    "year": "Year",
    "label": "How the review cites it",
}
# The parser's own words for a block it could not read; the curator gets what to check instead.
UNREADABLE = "this entry could not be read: check that every {{ has its }}, that fields are separated by commas and that each value is in braces or quotes"


def field_in_words(name):
    """ "bibtex.@type" → "Kind of publication"; "bibtex.publisher" → "Publisher (kept from the file)"."""
    if name == "bibtex.@type":
        return FIELD_WORDS["entry_type"]
    if name.startswith("bibtex."):
        return f"{name.removeprefix('bibtex.').replace('_', ' ').capitalize()} (kept from the file)"
    return FIELD_WORDS.get(name, name.replace("_", " ").capitalize())


def problem_in_words(problem):
    """(where, what is wrong, the parser's technical detail or "")."""
    where = ", ".join(
        [f"line {problem.line}"] * bool(problem.line) + [f"entry {problem.key}"] * bool(problem.key)
    )
    if problem.message.startswith("syntax error"):
        return where, UNREADABLE.replace("{{", "{"), problem.message.partition(": ")[2]
    return where, problem.message, ""


def _outcome_groups(report):
    groups = []
    for outcome, results in report.grouped:
        title, explanation, counted = OUTCOME_WORDS[outcome]
        rows = []
        for result in results:
            changes = [(field_in_words(name), stored, incoming) for name, stored, incoming in result.changes]
            # The pipeline's disagreement text names columns; the changes list says the same in words.
            disagrees = result.reason.startswith(DISAGREES)
            rows.append(
                {
                    "result": result,
                    "matched_by": MATCH_WORDS.get(result.matched_by, result.matched_by),
                    "changes": changes,
                    "reason": "The file disagrees with what is stored:" if disagrees else result.reason,
                    "disagreements": changes if disagrees else [],
                }
            )
        groups.append(
            {"outcome": outcome, "title": title, "explanation": explanation, "counted": counted, "rows": rows}
        )
    return groups


class BibtexUploadForm(forms.Form):
    file = forms.FileField(label="BibTeX file", help_text="A .bib file in UTF-8.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.BIBTEX_MAX_BYTES:
            raise forms.ValidationError(str(size_problem(upload.size, settings.BIBTEX_MAX_BYTES)))
        return upload


def _context(request, **extra):
    return {
        **admin.site.each_context(request),
        "title": "Import BibTeX",
        "max_size": human_size(settings.BIBTEX_MAX_BYTES),
        "max_entries": settings.BIBTEX_MAX_ENTRIES,
        **extra,
    }


def _upload_page(request, form, *, problems=(), status=200):
    context = _context(request, form=form, problems=[problem_in_words(problem) for problem in problems])
    return render(request, "claims/bibtex_upload.html", context, status=status)


def _preview_page(request, report, name, *, done=False, status=200):
    context = _context(
        request,
        report=report,
        file_name=name,
        done=done,
        digest=report.digest,
        writes=report.counts["new"] + report.counts["enriched"],
        groups=_outcome_groups(report),
    )
    return render(request, "claims/bibtex_preview.html", context, status=status)


def _remember(request, data, name, report):
    request.session[SESSION_KEY] = {
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
        "name": name,
        "digest": report.digest,
    }


def _confirm(request):
    pending = request.session.get(SESSION_KEY)
    if not pending or request.POST.get("digest") != pending["digest"]:
        messages.error(request, "That preview has expired or was already imported; upload the file again.")
        return redirect(request.path)
    data = zlib.decompress(base64.b64decode(pending["data"]))
    try:
        report = bibtex_import(data=data, user=request.user, expected_digest=pending["digest"])
    except PlanChanged as changed:
        _remember(request, data, pending["name"], changed.report)
        messages.warning(
            request,
            "The citations changed since your preview. Nothing was written; "
            "check this new preview and confirm again.",
        )
        return _preview_page(request, changed.report, pending["name"], status=409)
    except BibtexRefused as refused:
        del request.session[SESSION_KEY]
        return _upload_page(request, BibtexUploadForm(), problems=refused.problems, status=400)
    del request.session[SESSION_KEY]
    return _preview_page(request, report, pending["name"], done=True)


@login_required
@require_http_methods(["GET", "POST"])
def bibtex_upload(request):
    """GET: the upload form. POST: a preview of the import, or (with ``confirm``) the import itself."""
    if not (request.user.is_staff and request.user.has_perm(PERMISSION)):
        raise PermissionDenied("Only curators can import BibTeX.")
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request)
    if request.method == "GET":
        return _upload_page(request, BibtexUploadForm())
    form = BibtexUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    try:
        report = bibtex_import(data=data, user=request.user, dry_run=True)
    except BibtexRefused as refused:
        return _upload_page(request, form, problems=refused.problems, status=400)
    _remember(request, data, upload.name, report)
    return _preview_page(request, report, upload.name)
