"""A curator selects text in /review/ and starts a new claim from it (issue 17, item 4): the form
arrives with the section, the quote and its occurrence filled in from the selection's offsets."""

import html
import re

import pytest

from claims.models import Claim, Section, Source
from claims.services.claim_writes import quote_occurrence
from tests.factories import persona_client
from tests.pages import text_of

pytestmark = pytest.mark.django_db
NEW = "/claims/new/"
STATEMENT = "Test: a claim started from a selection in the review."


def _paragraph(number, index=1):
    """A paragraph of section ``number`` (after its heading line) as (start, end)."""
    return tuple(Section.objects.get(number=number).spans[index])


def _repeat(number="3.1", phrase="cancer"):
    """The second occurrence of ``phrase`` in section ``number``: its start."""
    section = Section.objects.get(number=number)
    text, starts = section.source.text, []
    for begin, end in section.spans:
        starts += [begin + m.start() for m in re.finditer(re.escape(phrase), text[begin:end])]
    assert len(starts) > 1, f"'{phrase}' should repeat in section {number}"
    return starts[1]


def _field_value(body, name):
    textarea = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', body, re.S)
    if textarea:
        return html.unescape(textarea.group(1))
    tag = re.search(rf'<input type="[a-z]+" name="{name}"[^>]*>', body).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return html.unescape(value.group(1)) if value else ""


def _selected_section(body):
    select = re.search(r'<select name="section"[^>]*>(.*?)</select>', body, re.S).group(1)
    chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen[0] if chosen else ""


def test_a_selection_fills_the_section_quote_and_occurrence(curator_client):
    start = _repeat()
    response = curator_client.get(NEW, {"section": "3.1", "quote": "cancer", "start": start})
    body = response.content.decode()
    assert response.status_code == 200 and not response.context["form"].errors
    assert _selected_section(body) == "3.1"
    assert _field_value(body, "quote") == "cancer"
    assert _field_value(body, "occurrence") == "2", "the second 'cancer' of the section was selected"


def test_a_sentence_with_non_ascii_letters_is_taken_at_its_offsets(curator_client):
    text = Source.objects.the_review().text
    begin, end = _paragraph("2", 2)
    sentence_start = text.index("In cancer, up to 90%", begin, end)
    quote = text[sentence_start : text.index("2021).", sentence_start) + len("2021).")]
    assert "Ł" in quote
    body = curator_client.get(NEW, {"section": "2", "quote": quote, "start": sentence_start}).content.decode()
    assert (_selected_section(body), _field_value(body, "quote"), _field_value(body, "occurrence")) == (
        "2",
        quote,
        "1",
    )


def _bad_selections():
    text = Source.objects.the_review().text
    begin, _ = _paragraph("3.1")
    quote = text[begin : begin + 40]
    other_begin, _ = _paragraph("1")
    elsewhere = text[other_begin : other_begin + 40]
    return {
        "moved": ({"section": "3.1", "quote": quote, "start": begin + 1}, "quote", "is not this quote"),
        "past the end": ({"section": "3.1", "quote": quote, "start": 999999999}, "quote", "shorter"),
        "not a number": ({"section": "3.1", "quote": quote, "start": "12a"}, "quote", "'start' must be"),
        "superscript digits": ({"section": "3.1", "quote": quote, "start": "²³"}, "quote", "'start' must be"),
        "no start": ({"section": "3.1", "quote": quote}, "quote", "'start' must be"),
        "empty quote": ({"section": "3.1", "quote": "  ", "start": begin}, "quote", "No quote given"),
        "other section": (
            {"section": "3.1", "quote": elsewhere, "start": other_begin},
            "quote",
            "not inside one paragraph of section 3.1",
        ),
        "unknown section": (
            {"section": "9.9", "quote": quote, "start": begin},
            "section",
            "no section '9.9'",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "moved",
        "past the end",
        "not a number",
        "superscript digits",
        "no start",
        "empty quote",
        "other section",
    ]
    + ["unknown section"],
)
def test_a_selection_that_does_not_match_the_review_is_named_on_the_form(curator_client, case):
    params, field, message = _bad_selections()[case]
    response = curator_client.get(NEW, params)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    body = response.content.decode()
    assert 'role="alert"' in body and f'href="#id_{field}"' in body, "the error summary names the field"
    assert _field_value(body, "occurrence") == "", (
        "no occurrence is guessed for a selection that does not fit"
    )


def test_the_new_claim_form_without_a_selection_is_blank_and_error_free(curator_client):
    response = curator_client.get(NEW)
    assert not response.context["form"].errors and _selected_section(response.content.decode()) == ""


def test_a_selection_of_an_existing_claims_quote_meets_the_duplicate_check_before_saving(curator_client):
    existing = (
        Claim.objects.filter(drugs__isnull=False, cargo__isnull=False, citations__isnull=False)
        .order_by("public_id")
        .first()
    )
    selection = {"section": existing.section.number, "quote": existing.quote, "start": existing.quote_start}
    form = curator_client.get(NEW, selection).context["form"]
    assert not form.errors
    data = {
        **{name: form[name].value() or "" for name in ("section", "quote", "occurrence", "form_token")},
        "statement": STATEMENT,
        "citations": existing.citations.first().key,
        "drugs": existing.drugs.first().name,
        "cargo": existing.cargo.first().name,
        "therapy_class": existing.therapy_class,
        "direction": existing.direction,
        "model": existing.model,
        "citation_support": "not_checked",
    }
    preview = curator_client.post(NEW, {**data, "action": "preview"})
    assert existing.public_id in [d.public_id for d in preview.context["preview"]["duplicates"]]
    refused = curator_client.post(NEW, {**data, "action": "save"})
    assert refused.status_code == 400 and refused.context["form"].errors["not_duplicate"]
    assert not Claim.objects.filter(statement=STATEMENT).exists()
    curator_client.post(NEW, {**data, "action": "save", "not_duplicate": "on"})
    created = Claim.objects.get(statement=STATEMENT)
    assert (created.quote_start, created.quote_end) == (existing.quote_start, existing.quote_end)


@pytest.mark.parametrize(("persona", "offered"), [("anonymous", False), ("reader", False), ("curator", True)])
def test_only_those_who_may_add_claims_are_offered_the_selection_control(request, persona, offered):
    body = persona_client(request, persona).get("/review/").content.decode()
    assert ("data-new-claim=" in body) is offered
    assert ("review_select.js" in body) is offered


def test_each_paragraph_of_the_reader_says_where_it_starts_in_the_review(client):
    body = client.get("/review/").content.decode()
    text = Source.objects.the_review().text
    rows = re.findall(
        r'<div class="reader-row" data-start="(\d+)">\s*<p class="reading[^"]*">(.*?)</p>', body, re.S
    )
    assert rows and len(rows) == body.count('class="reader-row"')
    for start, paragraph in rows:
        shown = text_of(re.sub(r'<a class="claim-ref"[^>]*>[^<]*</a>', "", paragraph))
        assert text[int(start) : int(start) + len(shown)] == shown, start


# ---------------------------------------------------------------------------------- in the browser

PASSWORD = "correct horse battery"  # tests/conftest.py's personas

# Selects review characters [start, end) in the reader, walking its text as the server counts it
# (leaving out the claim markers); the inverse of what review_select.js measures. A start that
# falls between two pieces of text is taken at the end of the first, before any claim marker.
SELECT = """([start, end]) => {
  const rows = [...document.querySelectorAll('.reader-row')]
    .filter((row) => Number(row.dataset.start) <= start)
    .sort((a, b) => Number(a.dataset.start) - Number(b.dataset.start));
  const row = rows[rows.length - 1];
  const walker = document.createTreeWalker(row.querySelector('.reading'), NodeFilter.SHOW_TEXT);
  let position = Number(row.dataset.start), node, from = null, to = null;
  while ((node = walker.nextNode())) {
    if (node.parentElement.closest('.claim-ref')) continue;
    const size = node.data.length;
    if (!from && start <= position + size) from = [node, start - position];
    if (!to && end <= position + size) to = [node, end - position];
    position += size;
  }
  node = from[0].parentElement;
  node.scrollIntoView();
  getSelection().setBaseAndExtent(from[0], from[1], to[0], to[1]);
}"""


def _sentence_after_a_claim():
    """A sentence that follows a claim's quote in its paragraph (so a claim marker precedes it)."""
    text = Source.objects.the_review().text
    for claim in Claim.objects.filter(section__number="3.1").order_by("quote_start"):
        begin = claim.quote_end + 1
        end = text.find(". ", begin)
        if text[claim.quote_end] == " " and 40 < end - begin < 300 and "\n" not in text[begin:end]:
            taken = Claim.objects.filter(quote_start__lt=end + 1, quote_end__gt=begin).exists()
            if not taken:
                return begin, end + 1
    raise AssertionError("no free sentence after a claim in section 3.1")


@pytest.mark.browser
def test_a_curator_selects_a_sentence_and_saves_it_as_a_claim(page, curator):
    page.open("/accounts/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_selector(".account-name")

    start, end = _sentence_after_a_claim()
    quote = Source.objects.the_review().text[start:end]
    page.open("/review/")
    # A few characters too many on each side: the spaces are trimmed, a claim's marker left out.
    page.evaluate(SELECT, [start - 1, end + 1])
    adder = page.locator(".selection-adder a")
    adder.wait_for(state="visible")
    page.screenshot_as("review-selection")
    page.keyboard.press("n")  # the keyboard way to the control
    assert page.evaluate("document.activeElement.textContent") == "New claim from this selection"
    adder.click()

    page.wait_for_url(re.compile(r"/claims/new/\?"))
    assert page.input_value("#id_section") == "3.1"
    assert page.input_value("#id_quote") == quote
    occurrence = quote_occurrence(section=Section.objects.get(number="3.1"), quote=quote, start=start)
    assert page.input_value("#id_occurrence") == str(occurrence)
    page.fill("#id_statement", STATEMENT)
    page.select_option("#id_direction", "background")
    page.select_option("#id_therapy_class", "chemotherapy")
    page.click("button[value=preview]")
    page.locator(".claim-preview").wait_for()
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/claims/CLM-\d+/$"))

    claim = Claim.objects.get(statement=STATEMENT)
    assert (claim.section.number, claim.quote, claim.quote_start, claim.quote_end) == (
        "3.1",
        quote,
        start,
        end,
    )


@pytest.mark.browser
def test_a_reader_without_the_permission_gets_no_control(page, reader):
    page.open("/accounts/login/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_selector(".account-name")
    page.open("/review/")
    begin, end = _paragraph("3.1")
    page.evaluate(SELECT, [begin, begin + 30])
    page.wait_for_timeout(400)
    assert page.locator(".selection-adder").count() == 0
