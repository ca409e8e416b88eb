"""The claim admin as curators use it: changelist, facets, search, query budget, change form."""

import bibtexparser
import pytest
from django.contrib.admin.widgets import AutocompleteMixin
from django.http import QueryDict

from claims import vocabulary as v
from claims.admin.forms import ClaimAdminForm
from claims.facets import facet_counts
from claims.filters import FACET_PARAMETERS, ClaimFilter
from claims.models import Citation, Claim, Drug, Section
from claims.services.claim_writes import claim_update
from claims.services.history import claim_revisions
from tests.factories import QUOTE, make_claim, persona_client

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/claims/claim/"


def _listed(response):
    changelist = response.context["cl"]
    return set(changelist.queryset.values_list("pk", flat=True))


def _drafts(user, count):
    drugs = list(Drug.objects.order_by("slug")[:2])
    for n in range(count):
        make_claim(
            user,
            statement=f"Draft number {n} about drug efflux.",
            drugs=drugs,
            citations=[Citation.objects.order_by("key")[n % 5]],
        )


def test_the_changelist_shows_what_curators_check(curator_client):
    claim = Claim.objects.filter(drugs__slug="doxorubicin").order_by("public_id").first()
    response = curator_client.get(CHANGELIST, {"q": claim.public_id})
    headers = [str(h["text"]).lower() for h in response.context["result_headers"]]
    assert headers[1:] == [
        "public id",
        "statement",
        "drugs",
        "cargo",
        "mechanism",
        "status",
        "citation support",
        "therapy class",
        "direction",
    ]
    assert "doxorubicin" in response.content.decode()


def test_every_facet_has_a_filter(curator_client):
    response = curator_client.get(CHANGELIST)
    # A facet with no values at all (no claim names a target yet) has nothing to offer and is hidden.
    counts = facet_counts(Claim.objects.all())
    shown = [name for name in FACET_PARAMETERS if counts[name]]
    assert [spec.parameter_name for spec in response.context["cl"].filter_specs] == shown


@pytest.mark.parametrize(
    "query",
    [
        "drug=ADM",
        "drug=doxorubicin",
        "cargo_type=mirna",
        "status=in_review",
        "direction=promotes_resistance",
        "therapy_class=chemotherapy",
        "section=3.1",
        "model=not_stated",
        "citation_support=not_checked",
    ],
)
def test_a_facet_filter_selects_what_the_site_selects(curator_client, query):
    expected = set(
        ClaimFilter(QueryDict(query), queryset=Claim.objects.all()).qs.values_list("pk", flat=True)
    )
    assert expected, f"the transcription has claims for {query}"
    assert _listed(curator_client.get(f"{CHANGELIST}?{query}")) == expected


def test_a_filter_value_naming_nothing_is_refused(curator_client):
    response = curator_client.get(f"{CHANGELIST}?drug=no-such-drug")
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_search_covers_statement_quote_and_citation_label(curator_client):
    claim = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    label = claim.citations.first().label
    for term in [claim.statement[:40], claim.quote[10:50], label]:
        listed = _listed(curator_client.get(CHANGELIST, {"q": term}))
        assert claim.pk in listed, term
    expected = set(Claim.objects.filter(citations__label__icontains=label).values_list("pk", flat=True))
    assert _listed(curator_client.get(CHANGELIST, {"q": label})) >= expected


def test_the_changelist_runs_the_same_queries_for_3_or_30_rows(
    curator_client, curator, django_assert_num_queries
):
    # Session, user, the user's and the groups' permissions (2), the facet counts (1: the data-version
    # stamp is not read inside the test's transaction, one statement counts every facet), the count of the drafts and of all claims (2), the mechanisms for the list-edit
    # select, then the page of claims with their mechanisms, their drugs and their cargo (3).
    _drafts(curator, 3)
    curator_client.get(f"{CHANGELIST}?status=draft")  # warm the session
    with django_assert_num_queries(11) as captured:
        response = curator_client.get(f"{CHANGELIST}?status=draft")
    assert response.context["cl"].result_count == 3
    _drafts(curator, 27)
    with django_assert_num_queries(len(captured)):
        response = curator_client.get(f"{CHANGELIST}?status=draft")
    assert response.context["cl"].result_count == 30


def _change_form_data(response):
    """The change form as the browser would post it back unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value not in (None, False):
            data[name] = [str(pk) for pk in value] if isinstance(value, list) else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": len(formset.forms),
                f"{formset.prefix}-INITIAL_FORMS": formset.initial_form_count(),
                f"{formset.prefix}-MIN_NUM_FORMS": 0,
                f"{formset.prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                if value not in (None, False, ""):
                    data[subform.add_prefix(name)] = value
    return data


def _change_url(claim):
    return f"/admin/claims/claim/{claim.pk}/change/"


@pytest.fixture
def claim():
    return (
        Claim.objects.filter(citations__isnull=False, direction=v.Direction.PROMOTES)
        .order_by("public_id")
        .first()
    )


def test_saving_the_change_form_goes_through_the_claim_service(curator_client, curator, claim):
    records = claim.history.count()
    data = _change_form_data(curator_client.get(_change_url(claim)))
    data["statement"] = "A curator's clearer statement of the finding."
    response = curator_client.post(_change_url(claim), data)
    assert response.status_code == 302
    saved = Claim.objects.get(pk=claim.pk)
    assert (saved.statement, saved.version, saved.updated_by) == (
        data["statement"],
        claim.version + 1,
        curator,
    )
    assert saved.history.count() == records + 1 and saved.history.first().history_user == curator
    assert "clearer" in saved.search_document


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"quote": "A sentence the review never wrote."}, "quote", "not an exact span of the review"),
        ({"statement": "  "}, "statement", "This field is required."),
    ],
)
def test_the_change_form_shows_service_errors_next_to_the_field(
    curator_client, claim, change, field, message
):
    data = {**_change_form_data(curator_client.get(_change_url(claim))), **change}
    response = curator_client.post(_change_url(claim), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert Claim.objects.get(pk=claim.pk).version == claim.version


def _field_row(html, name):
    """The admin's row for one field: its label, input and errors."""
    start = html.index(f'<div class="form-row field-{name}">')
    return html[start : html.index('<div class="form-row', start + 1)]


def test_a_refused_change_shows_the_error_in_its_fields_row_and_saves_nothing(curator_client, claim):
    records = claim.history.count()
    data = _change_form_data(curator_client.get(_change_url(claim)))
    data.update(quote="A sentence the review never wrote.", change_reason="Trying a new quote.")
    response = curator_client.post(_change_url(claim), data)
    assert response.status_code == 200
    row = _field_row(response.content.decode(), "quote")
    assert 'class="errorlist' in row and "not an exact span of the review" in row
    assert "not an exact span" not in _field_row(response.content.decode(), "statement")
    current = Claim.objects.get(pk=claim.pk)
    assert (current.version, current.quote, current.history.count()) == (claim.version, claim.quote, records)


def test_the_admin_form_reports_the_services_refusal_from_its_own_validation(claim):
    """Regression (issue 14): the refusal was raised while saving and the page rendered a second
    time with the errors stashed on the request; now the form is simply invalid."""
    data = {
        "section": claim.section_id,
        "quote": "A sentence the review never wrote.",
        "statement": claim.statement,
        "therapy_class": claim.therapy_class,
        "direction": claim.direction,
        "model": claim.model,
        "citation_support": claim.citation_support,
        "cargo_intervention": claim.cargo_intervention,
        "expected_version": claim.version,
    }
    form = ClaimAdminForm(data, instance=claim)
    assert not form.is_valid()
    assert "not an exact span of the review" in " ".join(form.errors["quote"])


def test_a_change_in_the_admin_keeps_its_edit_summary_in_the_history(curator_client, curator, claim):
    data = _change_form_data(curator_client.get(_change_url(claim)))
    data.update(notes="Checked against the cited paper.", change_reason="Noted the check.")
    assert curator_client.post(_change_url(claim), data).status_code == 302
    record = Claim.objects.get(pk=claim.pk).history.first()
    assert (record.history_user, record.notes, record.history_change_reason) == (
        curator,
        "Checked against the cited paper.",
        "Noted the check.",
    )
    html = curator_client.get(f"/claims/{claim.public_id}/history/").content.decode()
    assert "Edit summary: “Noted the check.”" in html


def test_removing_every_citation_of_a_finding_is_refused(curator_client, claim):
    data = _change_form_data(curator_client.get(_change_url(claim)))
    prefix = next(k for k in data if k.endswith("-INITIAL_FORMS") and "citations" in k).removesuffix(
        "-INITIAL_FORMS"
    )
    for n in range(int(data[f"{prefix}-TOTAL_FORMS"])):
        data[f"{prefix}-{n}-DELETE"] = "on"
    response = curator_client.post(_change_url(claim), data)
    assert response.status_code == 200
    assert "needs at least one citation" in " ".join(response.context["adminform"].form.non_field_errors())
    assert Claim.objects.get(pk=claim.pk).citations.count() == claim.citations.count()


def test_a_stale_change_form_is_refused_and_keeps_the_input(curator_client, other_curator, claim):
    data = _change_form_data(curator_client.get(_change_url(claim)))
    claim_update(claim=claim, user=other_curator, notes="Meanwhile, another curator wrote this.")
    data["statement"] = "My statement, written from the old version."
    response = curator_client.post(_change_url(claim), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "changed by someone else" in " ".join(form.non_field_errors())
    assert form["statement"].value() == data["statement"]
    current = Claim.objects.get(pk=claim.pk)
    assert (current.statement, current.notes) == (claim.statement, "Meanwhile, another curator wrote this.")

    again = curator_client.post(
        _change_url(claim), {**data, "expected_version": form["expected_version"].value()}
    )
    assert again.status_code == 302, "after seeing the warning, saving again applies the change"
    assert Claim.objects.get(pk=claim.pk).statement == data["statement"]


def test_adding_a_claim_in_the_admin_creates_a_draft_with_offsets(curator_client, curator):
    response = curator_client.get("/admin/claims/claim/add/")
    data = _change_form_data(response)
    data.update(
        section=Section.objects.get(number="3.1").pk,
        quote=QUOTE,
        statement="Efflux makes cells resist drugs.",
        therapy_class="chemotherapy",
        direction="background",
        model="not_stated",
        citation_support="not_checked",
    )
    data["change_reason"] = "Added from the efflux paragraph."
    response = curator_client.post("/admin/claims/claim/add/", data)
    assert response.status_code == 302
    claim = Claim.objects.get(statement="Efflux makes cells resist drugs.")
    assert (claim.status, claim.created_by) == ("draft", curator)
    assert claim.source.text[claim.quote_start : claim.quote_end] == QUOTE
    (record,) = claim.history.all()
    assert (record.history_type, record.history_change_reason) == ("+", "Added from the efflux paragraph.")


def test_a_refused_addition_in_the_admin_creates_nothing(curator_client):
    count = Claim.objects.count()
    data = _change_form_data(curator_client.get("/admin/claims/claim/add/"))
    data.update(
        section=Section.objects.get(number="3.1").pk,
        quote=QUOTE,
        statement="Efflux makes cells resist drugs.",
        therapy_class="chemotherapy",
        direction="promotes_resistance",  # a finding, and no citation row
        model="not_stated",
        citation_support="not_checked",
    )
    response = curator_client.post("/admin/claims/claim/add/", data)
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "Citations: A claim needs at least one citation" in errors
    assert Claim.objects.count() == count


def test_every_relation_is_chosen_with_autocomplete(curator_client, claim):
    response = curator_client.get(_change_url(claim))
    form = response.context["adminform"].form
    for name in ["drugs", "cargo", "mechanism"]:
        assert isinstance(form.fields[name].widget.widget, AutocompleteMixin), name
    inline_fields = {
        inline.formset.model._meta.model_name: inline.formset.empty_form.fields
        for inline in response.context["inline_admin_formsets"]
    }
    assert isinstance(inline_fields["claim_citations"]["citation"].widget.widget, AutocompleteMixin)
    assert isinstance(inline_fields["claimcellline"]["cell_line"].widget.widget, AutocompleteMixin)
    assert response.content.decode().count('class="admin-autocomplete') >= 3


def test_reverting_in_the_admin_restores_through_the_claim_service(editor_client, curator, claim):
    original = claim.statement
    claim_update(claim=claim, user=curator, statement="A statement to revert.")
    first = claim_revisions(claim)[-1]
    response = editor_client.post(f"/admin/claims/claim/{claim.pk}/history/{first.record.history_id}/", {})
    assert response.status_code == 302
    restored = Claim.objects.get(pk=claim.pk)
    assert restored.statement == original
    assert restored.history.first().history_change_reason.startswith("restored revision")


@pytest.mark.parametrize("persona", ["anonymous", "reader"])
def test_people_without_a_role_cannot_open_the_admin(request, client, persona):
    http = persona_client(request, persona)
    response = http.get(CHANGELIST)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_admin_history_lists_each_change_field_by_field(curator_client, curator, claim):
    claim_update(claim=claim, user=curator, statement="A statement the admin history shows.")
    html = curator_client.get(f"/admin/claims/claim/{claim.pk}/history/").content.decode()
    assert "<strong>statement:</strong>" in html.lower() and "A statement the admin history shows." in html
    oldest = claim.history.order_by("history_id").first()
    assert (
        curator_client.get(f"/admin/claims/claim/{claim.pk}/history/{oldest.history_id}/").status_code == 200
    )


def test_the_citation_changelist_links_to_the_bibtex_import_and_export(curator_client):
    page = curator_client.get("/admin/claims/citation/").content.decode()
    assert 'href="/curate/bibtex/"' in page and 'href="/api/citations/?format=bibtex"' in page
    assert curator_client.get("/curate/bibtex/").status_code == 200
    exported = b"".join(curator_client.get("/api/citations/?format=bibtex").streaming_content).decode()
    assert len(bibtexparser.parse_string(exported).entries) == Citation.objects.count()
