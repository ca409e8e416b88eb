"""Issue 17 in Chromium, for the items whose browser side no other file walks through: a reader
(items 5, 6, 8, 11), a curator (items 1, 3, 7) and an editor in the admin (items 2 and 10).
The evidence-gap grid's left-out rows and columns (item 11) are also checked through the client."""

import re
from html import unescape

import pytest

from claims import vocabulary as v
from claims.models import Citation, Claim, Drug, Flag
from claims.services.workflow import claim_transition
from claims.views.overview import GAP_CARGO, GAP_DRUGS
from tests.factories import make_claim
from tests.pages import page_html

S = v.CurationStatus
PHONE = {"width": 390, "height": 844}
KEPT = "Exosomes from resistant cells carry efflux pumps."
OLD = "They make recipient cells resist doxorubicin."
NEW = "Recipient cells then pump the drug out faster than it enters."


def _words(text):
    return " ".join(text.split())


def _gap_grid(html):
    table = html.split('class="matrix gap-matrix"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    return [re.findall(r'<td class="gap-(\w+)"', row) for row in rows]


# Item 11: the evidence-gap grid, through the client.


@pytest.mark.django_db
def test_the_evidence_gap_grid_has_no_empty_row_or_column_and_names_what_it_left_out(client):
    """Regression (issue 17): 10 of the 20 cargo rows and 5 of the 10 drug columns were all dashes."""
    html = page_html(client.get("/"))
    grid = _gap_grid(html)
    assert grid and all(set(row) != {"none"} for row in grid)
    assert all({row[i] for row in grid} != {"none"} for i in range(len(grid[0])))
    note = re.search(r'<p class="chart-note" id="gaps-left-out">(.*?)</p>', html, re.S)
    left_out = unescape(_words(note.group(1)))
    shown_cargo = re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a>', html.split("gap-matrix")[1])
    candidates = [
        d.name
        for d in Drug.objects.with_claim_counts().filter(claim_count__gt=0).order_by("-claim_count", "name")
    ]
    assert len(grid[0]) + left_out.count(", ") + 2 >= min(GAP_DRUGS, len(candidates)), left_out
    assert len(shown_cargo) < GAP_CARGO and "cargo " in left_out
    assert all(name not in left_out for name in shown_cargo)


# A reader.


@pytest.mark.browser
def test_a_reader_finds_the_errors_in_the_review_searches_and_reads_formatted_authors(page):
    # Item 5: the home page's count of errors in the review opens exactly those claims, each badged.
    flagged = Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR).values("claim").distinct().count()
    page.open("/")
    link = page.locator("#review-errors-link")
    assert link.inner_text() == f"{flagged} claims record an error in the review"
    link.click()
    page.wait_for_url(re.compile(r"review_errors=yes"))
    assert page.locator("#result-count").inner_text().startswith(f"{flagged} claims")
    rows = page.locator("li.claim-row")
    assert rows.count() == rows.locator("a.flag-badge").count() > 0
    rows.first.locator("a.flag-badge").click()
    page.wait_for_url(re.compile(r"/claims/CLM-[^/]+/#errors-title$"))
    side = _words(page.locator("main").inner_text())
    assert "mistakes of the review itself" in side

    # Item 6: findings first, matching words marked, and a misspelling corrected by a click.
    page.open("/claims/?q=tamoxifen")
    marks = page.locator("li.claim-row mark").all_inner_texts()
    assert marks and all(re.fullmatch(r"(?i)tamoxifen\w*", mark) for mark in marks)
    page.open("/claims/?q=doxorubicn")
    assert page.locator("#result-count").inner_text().startswith("0 claims")
    page.locator(".suggestions a").first.click()
    page.wait_for_url(re.compile(r"q=doxorubicin"))
    assert not page.locator("#result-count").inner_text().startswith("0 ")

    # Item 8: authors read as a reference list does, never as BibTeX's "Family, Given and …".
    page.open("/citations/")
    listed = page.locator("main").inner_text()
    assert not re.search(r"\w+, [\w.-]+ and \w+, \w+", listed)
    citation = Citation.objects.exclude(author_names=[]).filter(claims__isnull=False).order_by("key").first()
    page.open(citation.get_absolute_url())
    authors = page.locator("dd.authors").inner_text()
    assert authors == citation.short_authors and " and " not in authors

    # Item 11: on a phone, the grid keeps only what was studied and says what it left out.
    page.set_viewport_size(PHONE)
    page.open("/")
    note = page.locator("#gaps-left-out")
    assert note.is_visible() and "left out because no claim names them" in note.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot_as("home-evidence-gaps-phone")


# A curator.


@pytest.mark.browser
def test_a_curator_edits_from_the_claim_page_previews_before_and_after_and_reads_the_history(page, curator):
    draft = make_claim(curator, statement=f"{KEPT} {OLD}", drugs=[Drug.objects.get(slug="doxorubicin")])
    claim_transition(claim=draft, user=curator, to_status=S.IN_REVIEW)
    page.sign_in("curator")

    # Item 1: on the claim page, editing is the primary action and comes before "Back to draft".
    page.open(draft.get_absolute_url())
    edit = page.locator(".curation-panel a.edit-claim")
    back = page.locator(".curation-panel button:has-text('Back to draft')")
    assert "button-secondary" not in edit.get_attribute("class")
    assert "button-secondary" in back.get_attribute("class")
    assert edit.bounding_box()["y"] < back.bounding_box()["y"]
    edit.click()

    # Item 3: an edit summary, a before/after preview with sentence diffs, the history in words.
    page.wait_for_url(f"**/claims/{draft.public_id}/edit/")
    page.fill("#id_statement", f"{KEPT} {NEW}")
    page.fill("#id_edit_summary", "Said what the pumps do.")
    page.click("button[value=preview]")
    diffs = page.locator("table.preview-diffs")
    diffs.wait_for()
    assert diffs.locator("del").all_inner_texts() == [OLD], "the kept sentence is not marked"
    assert diffs.locator("ins").all_inner_texts() == [NEW]
    page.click("button[value=save]")
    page.wait_for_url(f"**/claims/{draft.public_id}/")
    assert page.locator("text=was saved (version").count() == 1, "the message appears once"
    page.open(f"/claims/{draft.public_id}/history/")
    history = _words(page.locator("main").inner_text())
    assert "Edited by curator" in history and "Edit summary: “Said what the pumps do.”" in history
    assert "Sent to review by curator" in history and "status: in_review" not in history
    assert page.locator(".revision del").first.inner_text() == OLD

    # Item 7: the BibTeX upload is one click from /citations/ and previews in a curator's words.
    page.open("/citations/")
    page.click("text=Import references from a BibTeX file")
    page.wait_for_url("**/curate/bibtex/")
    bib = "@book{newwork2031,\n  author = {Quinn, Ada and Rao, Ben},\n  title = {A new book},\n  year = {2031},\n}\n"
    page.set_input_files(
        "input[type=file]", files=[{"name": "refs.bib", "mimeType": "text/plain", "buffer": bib.encode()}]
    )
    page.click("input[name=preview]")
    page.wait_for_selector("h1:has-text('What importing refs.bib would change')")
    preview = _words(page.locator("#content").inner_text())
    assert "new citations (1)" in preview.lower()  # headings are drawn in capitals
    for jargon in ("bibtex.", "Stubs no entry matched", "@type", "entries:"):
        assert jargon not in preview, jargon
    page.screenshot_as("bibtex-preview")


# An editor in the admin.


@pytest.mark.browser
def test_an_editor_is_warned_about_unchecked_citations_and_finds_the_admin_tidy(page, editor):
    claims = list(
        Claim.objects.filter(status=S.IN_REVIEW, citations__isnull=False)
        .exclude(citation_support=v.CitationSupport.NOT_CHECKED)
        .distinct()
        .order_by("public_id")[:2]
    )
    Claim.objects.filter(pk=claims[1].pk).update(citation_support=v.CitationSupport.NOT_CHECKED)
    page.sign_in("editor")

    # Item 2: approving on the site asks first and warns when nobody checked the cited work.
    page.open(claims[1].get_absolute_url())
    page.click(".curation-panel a:has-text('Approve')")
    assert page.locator("#support-warning").is_visible()
    assert page.locator("label:has-text('Comment (optional)')").count() == 1

    # Items 2 and 10: the bulk approval asks first, under the admin's own breadcrumbs.
    page.open("/admin/claims/claim/?status=in_review")
    for claim in claims:
        page.check(f"input[name=_selected_action][value='{claim.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    assert (
        "1 of them cite work nobody has checked and will be refused."
        in page.locator("#action-notice").inner_text()
    )
    crumbs = page.locator("ol.breadcrumbs")
    assert page.locator("div.breadcrumbs").count() == 0
    # Drawn by the admin's stylesheet: its dark band, the items on one line.
    assert crumbs.evaluate("el => getComputedStyle(el).backgroundColor") not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )
    assert crumbs.locator("li").first.evaluate("el => getComputedStyle(el).display") == "inline-block"
    tops = {round(box["y"]) for box in (li.bounding_box() for li in crumbs.locator("li").all())}
    assert len(tops) == 1, "the breadcrumbs are drawn on one line, as the admin draws them"
    page.click("input[name=apply]")
    page.wait_for_selector(".messagelist")
    assert page.locator(".messagelist li", has_text="1 claim approved; 1 refused.").count() == 1

    # Item 10: inline rows say what they are.
    page.open(f"/admin/claims/claim/{claims[0].pk}/change/")
    inlines = page.locator(".inline-group").all_inner_texts()
    assert inlines and not [text for text in inlines if re.search(r"\w object \(\d+\)", text)]
    assert any("Cites " in text for text in inlines)
