"""Issue 17 as curators and readers meet it: safe editing, confirmed approvals, readable history,
errors in the review that can be found, a BibTeX preview in plain words, a tidy admin, and a reader
and home page that work on a phone. Pages through the test client; behaviour through Chromium."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from claims import vocabulary as v
from claims.forms import ClaimForm
from claims.models import Citation, Claim, Drug, Flag, StatusChange
from claims.services.claim_writes import claim_update
from claims.services.workflow import claim_transition
from tests.factories import make_claim, reviewable_claims

S = v.CurationStatus
CHANGELIST = "/admin/claims/claim/"


def _initial(claim):
    return {k: ("" if value is None else value) for k, value in ClaimForm.initial_for(claim).items()}


def _panel(html):
    return re.search(r'<section class="curation-panel.*?</section>', html, re.S).group(0)


@pytest.fixture
def draft(curator):
    return make_claim(curator, drugs=[Drug.objects.get(slug="doxorubicin")])


# 1. Unsaved edits are never lost silently (the server side; the browser side is below).


@pytest.mark.django_db
def test_on_the_claim_page_editing_is_the_primary_action(curator_client, draft):
    claim_transition(claim=draft, user=draft.created_by, to_status=S.IN_REVIEW)
    panel = _panel(curator_client.get(draft.get_absolute_url()).content.decode())
    assert re.search(r'<a class="button edit-claim" href="/claims/CLM-\d+/edit/">Edit this claim</a>', panel)
    assert re.search(r'class="button button-secondary" data-workflow-action>Back to draft</button>', panel)
    assert panel.index("Edit this claim") < panel.index("Back to draft")


# 2. Approving asks first, takes a comment, and minds unchecked citations.


@pytest.mark.django_db
def test_approving_on_the_site_asks_for_confirmation_and_keeps_the_comment(editor_client, editor):
    (claim,) = reviewable_claims()
    panel = _panel(editor_client.get(claim.get_absolute_url()).content.decode())
    assert re.search(
        rf'<a class="button button-secondary"[^>]*href="/claims/{claim.public_id}/transition/\?to_status=approved',
        panel,
    )

    confirm = editor_client.get(f"/claims/{claim.public_id}/transition/?to_status=approved")
    html = confirm.content.decode()
    assert confirm.status_code == 200 and f"Approve {claim.public_id}?" in html
    assert "Comment (optional)" in html and 'id="support-warning"' not in html
    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW, "opening the confirmation changes nothing"

    done = editor_client.post(
        f"/claims/{claim.public_id}/transition/",
        {"to_status": S.APPROVED, "reason": "Checked against the abstract.", "version": claim.version},
    )
    assert done.status_code == 302 and Claim.objects.get(pk=claim.pk).status == S.APPROVED
    change = StatusChange.objects.filter(claim=claim).latest("changed_at")
    assert (change.to_status, change.reason, change.changed_by) == (
        S.APPROVED,
        "Checked against the abstract.",
        editor,
    )


@pytest.mark.django_db
def test_approving_a_claim_whose_cited_work_nobody_checked_warns_on_the_site(editor_client):
    (claim,) = reviewable_claims()
    Claim.objects.filter(pk=claim.pk).update(citation_support=v.CitationSupport.NOT_CHECKED)
    html = editor_client.get(f"/claims/{claim.public_id}/transition/?to_status=approved").content.decode()
    assert 'id="support-warning"' in html and "Nobody has checked the cited papers yet" in html


@pytest.mark.django_db
def test_approving_in_bulk_asks_first_and_refuses_claims_with_unchecked_citations(editor_client, editor):
    checked, unchecked = reviewable_claims(2)
    Claim.objects.filter(pk=unchecked.pk).update(citation_support=v.CitationSupport.NOT_CHECKED)
    data = {"action": "approve", ACTION_CHECKBOX_NAME: [checked.pk, unchecked.pk]}

    asked = editor_client.post(CHANGELIST, {**data, "index": 0})
    html = asked.content.decode()
    assert asked.status_code == 200 and "Approve claims" in html
    assert "1 of them cite work nobody has checked and will be refused." in html
    assert [Claim.objects.get(pk=c.pk).status for c in (checked, unchecked)] == [S.IN_REVIEW, S.IN_REVIEW]

    done = editor_client.post(CHANGELIST, {**data, "apply": "Approve", "comment": "Batch of section 3."})
    assert done.status_code == 302
    assert [Claim.objects.get(pk=c.pk).status for c in (checked, unchecked)] == [S.APPROVED, S.IN_REVIEW]
    assert StatusChange.objects.get(claim=checked, to_status=S.APPROVED).reason == "Batch of section 3."
    messages = [str(m) for m in get_messages(done.wsgi_request)]
    assert "1 claim approved; 1 refused." in messages
    assert any(m.startswith(f"{unchecked.public_id} was not changed: nobody has checked") for m in messages)


def _status_options(html, row=0):
    select = re.search(rf'<select name="form-{row}-status".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([a-z_]+)"', select)


@pytest.mark.django_db
def test_the_changelist_offers_curators_only_the_statuses_they_may_set(curator_client, editor_client):
    """Regression (issue 17): curators were offered "approved" in the list and then refused."""
    url = f"{CHANGELIST}?status=in_review"
    assert set(_status_options(curator_client.get(url).content.decode())) == {S.DRAFT, S.IN_REVIEW}
    assert set(_status_options(editor_client.get(url).content.decode())) == set(S.values)
    # A row already approved keeps its own status among the choices (else saving would change it).
    approved = curator_client.get(f"{CHANGELIST}?status=approved").content.decode()
    if "form-0-status" in approved:
        assert set(_status_options(approved)) == {S.DRAFT, S.IN_REVIEW, S.APPROVED}


# 3. Edit summaries and history in words.


@pytest.mark.django_db
def test_an_edit_summary_is_kept_with_the_revision_and_shown_in_the_history(curator_client, draft):
    data = {
        **_initial(draft),
        "statement": "Efflux pumps make tumour cells resist chemotherapy.",
        "edit_summary": "Reworded after reading the abstract.",
        "action": "save",
    }
    assert curator_client.post(f"/claims/{draft.public_id}/edit/", data).status_code == 302
    assert draft.history.first().history_change_reason == "Reworded after reading the abstract."
    html = curator_client.get(f"/claims/{draft.public_id}/history/").content.decode()
    assert "Edited by curator" in html and "Edit summary: “Reworded after reading the abstract.”" in html


@pytest.mark.django_db
def test_an_edit_summary_travels_through_the_preview(curator_client, draft):
    data = {**_initial(draft), "notes": "Checked.", "edit_summary": "Noted the check.", "action": "preview"}
    preview = curator_client.post(f"/claims/{draft.public_id}/edit/", data).content.decode()
    assert (
        'name="edit_summary" value="Noted the check."' in preview
        and "Edit summary: “Noted the check.”" in preview
    )


@pytest.mark.django_db
def test_an_overlong_edit_summary_is_refused_by_name_and_nothing_is_saved(curator_client, draft):
    data = {**_initial(draft), "statement": "Changed.", "edit_summary": "x" * 101, "action": "save"}
    response = curator_client.post(f"/claims/{draft.public_id}/edit/", data)
    assert response.status_code == 400 and "Edit summary: at most 100 characters" in response.content.decode()
    assert Claim.objects.get(pk=draft.pk).version == draft.version


@pytest.mark.django_db
def test_the_history_says_what_happened_in_words(client, curator):
    loaded = Claim.objects.order_by("public_id").first()
    html = client.get(f"/claims/{loaded.public_id}/history/").content.decode()
    assert "Loaded from the review&#x27;s transcription" in html and "load_review" not in html

    claim = Claim.objects.filter(status=S.IN_REVIEW).order_by("public_id").first()
    claim_transition(claim=claim, user=curator, to_status=S.DRAFT)
    claim_transition(claim=claim, user=curator, to_status=S.IN_REVIEW)
    html = client.get(f"/claims/{claim.public_id}/history/").content.decode()
    assert "Returned to draft by curator" in html and "Sent to review by curator" in html
    assert "status: in_review" not in html


@pytest.mark.django_db
def test_a_flash_message_appears_once_on_curation_pages(curator_client, curator, draft):
    """Regression (issue 17): the curation pages showed each message twice (theirs and base.html's)."""
    first = draft.history.earliest("history_date").history_id
    claim_update(claim=draft, user=curator, statement="A second wording of the efflux claim.")
    response = curator_client.post(
        f"/claims/{draft.public_id}/history/{first}/restore/",
        {"version": Claim.objects.get(pk=draft.pk).version},
        follow=True,
    )
    assert response.content.decode().count("was restored as version") == 1


# 5. Errors in the review: a facet, an API filter, a badge, a link from home.


@pytest.mark.django_db
def test_errors_in_the_review_are_a_filter_a_facet_a_badge_and_a_link_from_home(client):
    flagged = set(
        Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR).values_list("claim__public_id", flat=True)
    )
    assert flagged, "the transcription records errors in the review"
    home = client.get("/").content.decode()
    assert re.search(
        rf'<a href="/claims/\?review_errors=yes&amp;background=show" id="review-errors-link">'
        rf"{len(flagged)} claims record an error in the review</a>",
        home,
    )

    api = client.get("/api/claims/", {"review_errors": "yes", "page_size": 200}).json()
    assert api["count"] == len(flagged) and {c["id"] for c in api["results"]} <= flagged
    others = client.get("/api/claims/", {"review_errors": "no"}).json()["count"]
    assert others == Claim.objects.count() - len(flagged)

    page = client.get("/claims/", {"review_errors": "yes", "background": "show"}).content.decode()
    rows = re.findall(r'<li class="claim-row".*?</li>\s*(?=<li class="claim-row"|</ol>|</ul>)', page, re.S)
    assert rows and all("error in the review</a>" in row for row in rows)
    assert "Records an error in the review" in page and "Errors in the review" in page

    bad = client.get("/api/claims/", {"review_errors": "maybe"})
    assert bad.status_code == 400 and "review_errors" in bad.content.decode()


@pytest.mark.django_db
def test_a_claim_page_says_how_errors_in_the_review_differ_from_open_flags(client):
    open_kinds = {}
    for claim_id, kind in Flag.objects.open().values_list("claim_id", "kind"):
        open_kinds.setdefault(claim_id, set()).add(kind)
    only_errors = sorted(pk for pk, kinds in open_kinds.items() if kinds == {v.FlagKind.REVIEW_ERROR})
    claim = Claim.objects.get(pk=only_errors[0])
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "mistakes of the review itself" in html
    assert "none (besides the errors in the review above, which are the review's mistakes" in html


# 7. The BibTeX upload, in a curator's words.


def _upload(client, text, name="refs.bib"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/curate/bibtex/", {"file": SimpleUploadedFile(name, text.encode())})


@pytest.mark.django_db
def test_the_bibtex_preview_speaks_a_curators_language(curator_client):
    citation = Citation.objects.exclude(doi="").filter(entry_type="article").order_by("key").first()
    bib = (
        f"@article{{{citation.key},\n  doi = {{{citation.doi}}},\n  year = {{{citation.year}}},\n"
        "  publisher = {A Publisher Nobody Stored},\n}\n"
        "@book{newwork2031,\n  author = {Quinn, Ada},\n  title = {A new book},\n  year = {2031},\n}\n"
    )
    html = " ".join(_upload(curator_client, bib).content.decode().split())
    assert "What importing refs.bib would change" in html
    assert "Publisher (kept from the file)" in html and "same DOI" in html
    assert "2 references in the file: 1 new, 1 gaining details." in html
    assert "New citations (1)" in html and "Citations of the review this file does not mention" in html
    for jargon in ("bibtex.", "Stubs no entry matched", "conflicting", "entries:"):
        assert jargon not in html, jargon


@pytest.mark.django_db
def test_an_unreadable_bibtex_entry_is_explained_without_parser_jargon(curator_client):
    response = _upload(curator_client, "@article{broken2020,\n  title = {Unclosed,\n  year = 2020\n")
    html = response.content.decode()
    assert response.status_code == 400
    assert "this entry could not be read: check that every { has its }" in html
    assert "syntax error" not in html


@pytest.mark.django_db
def test_the_citation_list_links_the_bibtex_upload_for_curators_only(client, reader_client, curator_client):
    link = 'href="/curate/bibtex/"'
    assert link in curator_client.get("/citations/").content.decode()
    assert link not in reader_client.get("/citations/").content.decode()
    assert link not in client.get("/citations/").content.decode()


# 10. Custom admin pages look like the admin.


@pytest.mark.django_db
def test_custom_admin_pages_use_the_admins_breadcrumbs(editor_client, curator_client):
    (claim,) = reviewable_claims()
    pages = [
        editor_client.post(CHANGELIST, {"action": "reject", ACTION_CHECKBOX_NAME: [claim.pk], "index": 0}),
        editor_client.post(CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [claim.pk], "index": 0}),
        curator_client.get("/curate/bibtex/"),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert '<ol class="breadcrumbs">' in html and '<div class="breadcrumbs">' not in html
        assert '<li aria-current="page">' in html


@pytest.mark.django_db
def test_the_claim_change_forms_inline_rows_say_what_they_are(editor_client):
    """Regression (issue 17): citation rows were headed "Claim_citations object (66)"."""
    claim = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    html = editor_client.get(f"{CHANGELIST}{claim.pk}/change/").content.decode()
    assert "Claim_citations object" not in html
    assert f"Cites {claim.citations.order_by('pk').first().label}" in html


# Browser: what a curator and a reader do.


@pytest.mark.browser
def test_typed_changes_block_the_status_buttons_and_leaving_asks_first(page, curator, draft):
    """Regression (issue 17): "Back to draft" and the navigation dropped typed changes silently."""
    claim_transition(claim=draft, user=curator, to_status=S.IN_REVIEW)
    page.sign_in("curator")
    page.open(f"/claims/{draft.public_id}/edit/")
    back = page.locator(".curation-panel button:has-text('Back to draft')")
    assert back.is_enabled() and page.locator("#dirty-note").is_hidden()

    original = page.input_value("#id_statement")
    page.fill("#id_statement", "A statement typed but not saved.")
    assert back.is_disabled() and page.locator("#dirty-note").is_visible()

    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.click(".site-header a[href='/claims/']")
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"] and page.url.endswith(f"/claims/{draft.public_id}/edit/")
    assert page.input_value("#id_statement") == "A statement typed but not saved."

    page.fill("#id_statement", original)  # back as loaded: nothing to lose
    assert back.is_enabled()
    page.click(".site-header a[href='/claims/']")
    page.wait_for_url("**/claims/")
    assert asked == ["beforeunload"]
    assert Claim.objects.get(pk=draft.pk).statement == original


@pytest.mark.browser
def test_a_preview_keeps_the_status_buttons_disabled_until_it_is_saved(page, curator, draft):
    claim_transition(claim=draft, user=curator, to_status=S.IN_REVIEW)
    page.sign_in("curator")
    page.open(f"/claims/{draft.public_id}/edit/")
    page.fill("#id_statement", "Efflux pumps make tumour cells resist chemotherapy.")
    page.fill("#id_edit_summary", "Plainer wording.")
    page.click("button[value=preview]")
    page.locator(".claim-preview").wait_for()
    assert page.locator(".curation-panel button:has-text('Back to draft')").is_disabled()
    page.click("button[value=save]")
    page.wait_for_url(f"**/claims/{draft.public_id}/")
    assert Claim.objects.get(pk=draft.pk).history.first().history_change_reason == "Plainer wording."


@pytest.mark.browser
def test_the_readers_claim_links_are_at_least_24_px(page):
    """Regression (issue 17): 190 of the reader's claim links were smaller than 24 px."""
    page.open("/review/")
    small = page.evaluate(
        """() => [...document.querySelectorAll('.margin a, .toc-count')]
              .map(a => [a.textContent.trim(), a.getBoundingClientRect()])
              .filter(([, box]) => box.width < 24 || box.height < 24)
              .map(([text, box]) => `${text} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert page.locator(".margin a").count() > 100
    assert small == []


@pytest.mark.browser
def test_the_home_heat_map_is_readable_on_a_phone(browser, site):
    """Regression (issue 17): on a phone the heat map's row labels were cut ("…release or uptal")."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        labels = page.locator(".heat-map tbody th")
        assert labels.count() > 3
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.heat-map tbody th')]
                  .filter(th => th.scrollWidth > th.clientWidth + 1).map(th => th.textContent.trim())"""
        )
        assert cut == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, (
            "the page itself never scrolls sideways"
        )
        # Scrolling the map sideways keeps the labels in view.
        page.locator(".heat-map").locator("xpath=..").evaluate("el => el.scrollLeft = 400")
        box = labels.first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        context.close()
