"""Changing an entity through any door re-indexes its claims: search finds them by the new spelling.

Every kind and every name a claim's search document takes from it (``entity_search_terms``) is
edited through the API and through the admin change form; the claims are then searched for on the
API and on the claim browser. The new spellings are phrases, and the search is for one word of
them: the name resolver only knows whole names, so only a re-indexed search document finds it.
"""

import json

import pytest
from django.db.models import Count
from django.urls import reverse

from claims.models import Cargo, CellLine, Claim, Drug, Mechanism, Target
from tests.pages import every_listed

pytestmark = pytest.mark.django_db

API_PATHS = {
    Drug: "drugs",
    Cargo: "cargo",
    Target: "targets",
    CellLine: "cell-lines",
    Mechanism: "mechanisms",
}
# What a claim's search document reads of each kind (claims.models.claim.entity_search_terms).
SEARCHED = [
    (model, field) for model in (Drug, Cargo, Target, CellLine) for field in ("name", "aliases", "misprints")
] + [(Mechanism, "name")]


def _least_used(model):
    """The entity of ``model`` named by the fewest claims (at least one), so the search is exact."""
    return model.objects.annotate(n=Count("claims")).filter(n__gt=0).order_by("n", "slug").first()


def _claims_of(entity):
    return set(entity.claims.values_list("public_id", flat=True))


def _new_value(entity, field, word):
    phrase = f"{word.capitalize()} variant"
    return phrase if field == "name" else [*getattr(entity, field), phrase]


def _edit_through_api(client, entity, field, value):
    response = client.patch(
        f"/api/{API_PATHS[type(entity)]}/{entity.slug}/",
        data=json.dumps({field: value}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def _admin_change_url(entity):
    return reverse(f"admin:claims_{entity._meta.model_name}_change", args=[entity.pk])


def _admin_form_data(client, entity):
    """The admin change form as the browser would post it back unchanged."""
    form = client.get(_admin_change_url(entity)).context["adminform"].form
    return {name: form[name].value() for name in form.fields if form[name].value() is not None}


def _edit_through_admin(client, entity, field, value):
    data = _admin_form_data(client, entity)
    data[field] = json.dumps(value) if isinstance(value, list) else value
    response = client.post(_admin_change_url(entity), {**data, "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors


DOORS = {"api": _edit_through_api, "admin": _edit_through_admin}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(("model", "field"), SEARCHED, ids=[f"{m._meta.model_name}-{f}" for m, f in SEARCHED])
def test_an_edited_name_finds_the_entitys_claims_by_search(
    curator_client, curator, client, door, model, field
):
    entity = _least_used(model)
    expected = _claims_of(entity)
    word = f"zz{model._meta.model_name}{field}{door}"
    DOORS[door](curator_client, entity, field, _new_value(entity, field, word))

    entity.refresh_from_db()
    assert word in " ".join([entity.name, *entity.aliases, *entity.misprints]).casefold()
    assert entity.history.first().history_user == curator
    found_by_api = client.get("/api/claims/", {"q": word, "page_size": 500}).json()["results"]
    assert {c["id"] for c in found_by_api} == expected
    # background=show: the claim list hides the review's background statements unless asked.
    assert set(every_listed(client, "/claims/", {"q": word, "background": "show"})) == expected


@pytest.mark.parametrize("door", DOORS)
def test_an_edit_that_search_does_not_read_leaves_the_search_documents_alone(curator_client, door):
    entity = _least_used(Drug)
    Claim.objects.filter(pk__in=entity.claims.values("pk")).update(search_document="stale on purpose")
    DOORS[door](curator_client, entity, "notes", "Notes are not searched.")
    entity.refresh_from_db()
    assert entity.notes == "Notes are not searched."
    assert set(entity.claims.values_list("search_document", flat=True)) == {"stale on purpose"}


def test_a_cell_line_created_in_the_admin_records_the_curator(curator_client, curator):
    response = curator_client.post(
        reverse("admin:claims_cellline_add"),
        {"name": "NEW-ADMIN-1", "slug": "new-admin-1", "aliases": "[]", "misprints": "[]", "_save": "Save"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = CellLine.objects.get(slug="new-admin-1")
    assert created.lookup_terms == "|new-admin-1|" and created.history.get().history_user == curator


def test_a_drug_created_through_the_api_records_the_curator(curator_client, curator):
    response = curator_client.post(
        "/api/drugs/",
        data=json.dumps({"slug": "new-api-1", "name": "NEW-API-1"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Drug.objects.get(slug="new-api-1").history.get().history_user == curator


# Every name an entity answers to names no other entity of its kind (entity_writes.entity_check).


def _refusal_through_api(client, entity, field, value):
    response = client.patch(
        f"/api/{API_PATHS[type(entity)]}/{entity.slug}/",
        data=json.dumps({field: value}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    return response.json()[field]


def _refusal_through_admin(client, entity, field, value):
    data = _admin_form_data(client, entity)
    data[field] = json.dumps(value)
    response = client.post(_admin_change_url(entity), {**data, "_save": "Save"})
    assert response.status_code == 200  # the form again, not the redirect after saving
    return response.context["adminform"].form.errors[field]


REFUSING_DOORS = {"api": _refusal_through_api, "admin": _refusal_through_admin}


@pytest.mark.parametrize("door", REFUSING_DOORS)
@pytest.mark.parametrize("model", API_PATHS, ids=[m._meta.model_name for m in API_PATHS])
def test_an_alias_that_names_another_entity_of_the_kind_is_refused_by_its_field(curator_client, door, model):
    entity = _least_used(model)
    other = model.objects.exclude(pk=entity.pk).order_by("slug").first()
    taken = other.name.upper()  # names are matched whatever their case
    before = (entity.aliases, entity.lookup_terms, entity.history.count())

    messages = REFUSING_DOORS[door](curator_client, entity, "aliases", [*entity.aliases, taken])

    assert f"'{taken}' already names {model._meta.verbose_name} '{other.slug}'." in messages
    entity.refresh_from_db()
    assert (entity.aliases, entity.lookup_terms, entity.history.count()) == before


def test_an_entity_added_in_the_admin_under_another_ones_alias_is_not_saved(curator_client):
    other = Drug.objects.exclude(aliases=[]).order_by("slug").first()
    taken = other.aliases[0].lower()
    response = curator_client.post(
        reverse("admin:claims_drug_add"),
        {"name": taken, "slug": "new-admin-2", "aliases": "[]", "misprints": "[]", "_save": "Save"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        f"'{taken}' already names drug '{other.slug}'."
    ]
    assert not Drug.objects.filter(slug="new-admin-2").exists()


@pytest.mark.parametrize("value", ["5", '"MCF7"', '{"MCF7": 1}', '["MCF7", 7]'])
def test_aliases_that_are_not_a_list_of_spellings_are_refused_in_the_admin(curator_client, value):
    entity = _least_used(CellLine)
    data = {**_admin_form_data(curator_client, entity), "aliases": value, "_save": "Save"}
    response = curator_client.post(_admin_change_url(entity), data)
    assert response.status_code == 200
    assert "JSON list of spellings" in response.context["adminform"].form.errors["aliases"][0]
    assert CellLine.objects.get(pk=entity.pk).aliases == entity.aliases
