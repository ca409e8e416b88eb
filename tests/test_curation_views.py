"""Creating and editing claims on the site: the form, its errors, the preview, duplicates, conflicts."""

import pytest
from django.contrib.messages import get_messages

from claims import vocabulary as v
from claims.forms import ClaimForm
from claims.models import Citation, Claim, Drug, Section, Target
from claims.services.claim_fields import FIELD_NAMES
from claims.services.claim_writes import quote_occurrence
from claims.services.workflow import claim_transition
from tests.factories import QUOTE, make_claim, persona_client

pytestmark = pytest.mark.django_db
OTHER_QUOTE = "These pumps export a variety of contaminants"
NEW = "/claims/new/"


def _form(**changes):
    data = {
        "section": "3.1",
        "quote": QUOTE,
        "statement": "Tumour cells that pump drugs out resist chemotherapy.",
        "citations": "",
        "drugs": "ADM; PTX",
        "cargo": "",
        "donor_cell_lines": "",
        "recipient_cell_lines": "MCF-7",
        "studied_cell_lines": "",
        "exosome_source": "",
        "mechanism": "",
        "therapy_class": "chemotherapy",
        "direction": "background",
        "model": "not_stated",
        "citation_support": "not_checked",
        "notes": "",
    }
    return {**data, **changes}


def _initial(claim):
    return {k: ("" if value is None else value) for k, value in ClaimForm.initial_for(claim).items()}


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 302), ("reader", 403)])
def test_only_curators_may_create_or_edit(request, client, persona, status):
    http = persona_client(request, persona)
    claim = Claim.objects.order_by("public_id").first()
    count = Claim.objects.count()
    for url in [NEW, f"/claims/{claim.public_id}/edit/"]:
        assert http.get(url).status_code == status
        response = http.post(url, {**_form(), "action": "save", "version": claim.version})
        assert response.status_code == status
        if persona == "anonymous":
            assert response["Location"].startswith("/accounts/login/")
    assert Claim.objects.count() == count
    assert Claim.objects.get(pk=claim.pk).version == claim.version


def test_a_preview_shows_the_claim_in_its_paragraph_and_saves_nothing(curator_client):
    count = Claim.objects.count()
    response = curator_client.post(NEW, {**_form(), "action": "preview"})
    assert response.status_code == 200
    anchor = response.context["preview"]["check"].anchor
    assert Section.objects.get(number="3.1").source.text[anchor.start : anchor.end] == QUOTE
    html = response.content.decode()
    assert f'<mark class="quote">{QUOTE}</mark>' in html
    assert f"characters {anchor.start}–{anchor.end}" in html
    assert 'type="hidden" name="quote"' in html, "the preview carries the input to the save"
    assert Claim.objects.count() == count


def test_saving_creates_a_draft_with_offsets_and_named_entities(curator_client, curator):
    citation = Citation.objects.order_by("key").first()
    response = curator_client.post(
        NEW, {**_form(citations=f"{citation.label}", studied_cell_lines="mda-mb-231"), "action": "save"}
    )
    claim = Claim.objects.get(statement=_form()["statement"])
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()
    assert (claim.status, claim.created_by, claim.version) == (v.CurationStatus.DRAFT, curator, 1)
    assert claim.source.text[claim.quote_start : claim.quote_end] == QUOTE
    assert sorted(claim.drugs.values_list("slug", flat=True)) == ["doxorubicin", "paclitaxel"]
    assert list(claim.citations.all()) == [citation]
    assert sorted(claim.cell_line_links.values_list("cell_line__slug", "role")) == [
        ("mcf-7", "recipient"),
        ("mda-mb-231", "studied"),
    ]


def test_a_new_claims_edit_summary_travels_through_the_preview_into_its_history(curator_client, curator):
    summary = "Added from the efflux paragraph of section 3.1."
    preview = curator_client.post(NEW, {**_form(), "edit_summary": summary, "action": "preview"})
    html = preview.content.decode()
    assert f'name="edit_summary" value="{summary}"' in html and f"Edit summary: “{summary}”" in html
    response = curator_client.post(NEW, {**_form(), "edit_summary": summary, "action": "save"})
    claim = Claim.objects.get(statement=_form()["statement"])
    assert response.status_code == 302
    assert (claim.history.get().history_type, claim.history.get().history_change_reason) == ("+", summary)
    history = curator_client.get(f"/claims/{claim.public_id}/history/").content.decode()
    assert f"Edit summary: “{summary}”" in history


def test_a_new_claims_overlong_edit_summary_is_refused_by_name_and_nothing_is_created(curator_client):
    count = Claim.objects.count()
    response = curator_client.post(NEW, {**_form(), "edit_summary": "x" * 101, "action": "save"})
    assert response.status_code == 400 and "Edit summary: at most 100 characters" in response.content.decode()
    assert Claim.objects.count() == count


def test_the_preview_shows_what_the_cargo_acts_on_and_what_was_done_to_it(curator_client):
    target = Target.objects.create(slug="pten-x", name="PTEN-X", target_type=v.TargetType.GENE)
    response = curator_client.post(
        NEW, {**_form(targets="PTEN-X", cargo_intervention="lowered"), "action": "preview"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<dt>Acts on</dt><dd><a href="{target.get_absolute_url()}">PTEN-X</a></dd>' in html
    label = v.CargoIntervention("lowered").label
    assert f"<dt>Cargo intervention</dt><dd>{label}</dd>" in html


def test_the_form_asks_for_every_field_of_a_claim():
    """A field added to claim_fields.CLAIM_FIELDS must get an input here (cell lines: one per role)."""
    form = ClaimForm()
    missing = [name for name in FIELD_NAMES if name != "cell_lines" and name not in form.fields]
    assert missing == []
    assert {f"{role}_cell_lines" for role in v.CellLineRole.values} <= set(form.fields)


def _repeated_phrase():
    section = Section.objects.get(number="3.1")
    for phrase in ["drug resistance", "exosomes", "resistance"]:
        if (
            quote_occurrence(section=section, quote=phrase, start=-1) is None
            and section.source.text.count(phrase) > 1
        ):
            return section, phrase
    raise AssertionError("no phrase repeats in section 3.1")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quote": "Exosomes cure every cancer."}, "quote", "not an exact span of the review in section 3.1"),
        ({"section": "1"}, "quote", "in section 1"),
        ({"section": ""}, "section", "This field is required."),
        ({"drugs": "ADM; aspirin-x"}, "drugs", "No drug is named 'aspirin-x'."),
        ({"citations": "Nobody et al., 1999"}, "citations", "No citation is named 'Nobody et al., 1999'."),
        ({"recipient_cell_lines": "HeLa-X"}, "recipient_cell_lines", "No cell line is named 'HeLa-X'."),
        ({"statement": QUOTE}, "statement", "in your own words"),
        ({"statement": ""}, "statement", "This field is required."),
        ({"direction": "promotes_resistance"}, "citations", "needs at least one citation"),
        ({"therapy_class": "surgery"}, "therapy_class", "Select a valid choice."),
        ({"occurrence": "0"}, "occurrence", "greater than or equal to 1"),
    ],
)
def test_each_bad_field_gets_its_own_error_and_nothing_is_saved(curator_client, changes, field, message):
    count = Claim.objects.count()
    for action in ("preview", "save"):
        response = curator_client.post(NEW, {**_form(**changes), "action": action})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert message in " ".join(errors[field]), errors
        assert f'href="#id_{field}"' in response.content.decode(), "the summary links to the field"
    assert Claim.objects.count() == count


def test_a_repeated_quote_asks_which_occurrence(curator_client):
    section, phrase = _repeated_phrase()
    response = curator_client.post(NEW, {**_form(section=section.number, quote=phrase), "action": "save"})
    assert response.status_code == 400 and "say which" in " ".join(response.context["form"].errors["quote"])
    curator_client.post(
        NEW, {**_form(section=section.number, quote=phrase, occurrence="2"), "action": "save"}
    )
    claim = Claim.objects.get(statement=_form()["statement"])
    assert quote_occurrence(section=section, quote=phrase, start=claim.quote_start) == 2


def test_a_likely_duplicate_is_shown_and_must_be_confirmed(curator_client):
    existing = (
        Claim.objects.filter(drugs__isnull=False, cargo__isnull=False, citations__isnull=False)
        .order_by("public_id")
        .first()
    )
    same = _form(
        citations=existing.citations.first().key,
        drugs=existing.drugs.first().name,
        cargo=existing.cargo.first().name,
        direction=existing.direction,
    )
    preview = curator_client.post(NEW, {**same, "action": "preview"})
    assert existing.public_id in [d.public_id for d in preview.context["preview"]["duplicates"]]
    assert "Possible duplicate" in preview.content.decode()

    refused = curator_client.post(NEW, {**same, "action": "save"})
    assert refused.status_code == 400 and refused.context["form"].errors["not_duplicate"]
    assert not Claim.objects.filter(statement=same["statement"]).exists()

    curator_client.post(NEW, {**same, "action": "save", "not_duplicate": "on"})
    assert Claim.objects.filter(statement=same["statement"]).exists()


def test_back_to_editing_keeps_the_input(curator_client):
    response = curator_client.post(NEW, {**_form(notes="Half-written note"), "action": "edit"})
    assert response.status_code == 200 and response.context["preview"] is None
    assert response.context["form"]["notes"].value() == "Half-written note"


@pytest.fixture
def draft(curator):
    return make_claim(curator, drugs=[Drug.objects.get(slug="doxorubicin")])


def test_the_edit_form_starts_from_the_claim_and_saves_a_new_version(curator_client, other_curator, draft):
    page = curator_client.get(f"/claims/{draft.public_id}/edit/")
    assert page.context["form"].initial["drugs"] == "doxorubicin"
    data = {
        **_initial(draft),
        "statement": "Efflux pumps make tumour cells resist chemotherapy.",
        "action": "save",
    }
    response = curator_client.post(f"/claims/{draft.public_id}/edit/", data)
    assert response.status_code == 302
    saved = Claim.objects.get(pk=draft.pk)
    assert (saved.statement, saved.version) == (data["statement"], 2)


def test_saving_an_unchanged_form_changes_nothing(curator_client, draft):
    response = curator_client.post(f"/claims/{draft.public_id}/edit/", {**_initial(draft), "action": "save"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Nothing changed: {draft.public_id} is as it was."
    ]
    assert Claim.objects.get(pk=draft.pk).version == draft.version


def test_editing_an_approved_claim_sends_it_back_but_a_note_does_not(curator_client, curator, editor, draft):
    # Issue 18.2: the citation-support verdict is reviewed content now; only notes are annotations.
    claim_transition(claim=draft, user=curator, to_status="in_review")
    claim_transition(claim=draft, user=editor, to_status="approved")
    note = {**_initial(draft), "notes": "Figure 3 shows it.", "version": draft.version, "action": "save"}
    curator_client.post(f"/claims/{draft.public_id}/edit/", note)
    claim = Claim.objects.get(pk=draft.pk)
    assert (claim.status, claim.notes) == ("approved", "Figure 3 shows it.")
    edit = {**_initial(claim), "statement": "A reworded statement about efflux pumps.", "action": "save"}
    curator_client.post(f"/claims/{draft.public_id}/edit/", edit)
    assert Claim.objects.get(pk=draft.pk).status == "in_review"


def test_editing_keeps_the_anchor_of_a_repeated_quote(curator_client, curator):
    section, phrase = _repeated_phrase()
    claim = make_claim(
        curator,
        section=section,
        quote=phrase,
        occurrence=2,
        statement="A phrase that repeats.",
        therapy_class="general",
    )
    data = {**_initial(claim), "statement": "The second time the phrase appears.", "action": "save"}
    assert curator_client.post(f"/claims/{claim.public_id}/edit/", data).status_code == 302
    assert Claim.objects.get(pk=claim.pk).quote_start == claim.quote_start


def test_suggestions_match_names_and_aliases_from_their_start(curator_client, client):
    drugs = curator_client.get("/curate/autocomplete/drug/", {"q": "ad"}).json()["results"]
    assert {"value": "ADM", "label": "doxorubicin (ADM)"} in drugs
    citation = Citation.objects.order_by("key").first()
    found = curator_client.get("/curate/autocomplete/citation/", {"q": citation.label[:4]}).json()["results"]
    assert citation.label in [r["value"] for r in found]
    assert client.get("/curate/autocomplete/drug/", {"q": "ad"}).status_code == 403
    assert curator_client.get("/curate/autocomplete/spell/", {"q": "ad"}).status_code == 404


def test_the_form_costs_the_same_queries_however_many_entities(curator_client, django_assert_num_queries):
    # Session, user, the user's and the groups' permissions (2), sections, mechanisms, and the
    # datalists of citations, drugs, cargo, targets and cell lines (5, each capped at DATALIST_LIMIT).
    curator_client.get(NEW)
    with django_assert_num_queries(11) as captured:
        curator_client.get(NEW)
    Drug.objects.bulk_create(Drug(name=f"Test drug {n}", slug=f"test-drug-{n}") for n in range(40))
    with django_assert_num_queries(len(captured)):
        response = curator_client.get(NEW)
    assert "Test drug 39" in response.content.decode()


def test_hostile_text_is_shown_as_text(curator_client):
    response = curator_client.post(
        NEW, {**_form(statement="<script>alert('x')</script> efflux"), "action": "preview"}
    )
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
