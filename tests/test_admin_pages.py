"""The admin pages curators live in (issue 17, items 9 and 10): the claim changelist's markup, and
the custom pages (action forms, merge, BibTeX import) drawn like Django's own."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from claims.models import Cargo, Claim, Flag
from claims.services.workflow import flag_raise

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/claims/claim/"
BREADCRUMBS = re.compile(
    r'<nav aria-label="Breadcrumbs">\s*<ol class="breadcrumbs">(.*?)</ol>\s*</nav>', re.S
)
REVIEW_BIB = Path(__file__).parent / "data" / "bibtex" / "review_references.bib"


# 9. The claim changelist.


def test_a_statement_cut_short_keeps_its_full_text_in_the_title(curator_client):
    long = Claim.objects.filter(statement__regex=r"^.{121}").order_by("public_id").first()
    short = Claim.objects.filter(statement__regex=r"^.{0,120}$").order_by("public_id").first()
    html = curator_client.get(CHANGELIST, {"q": long.public_id}).content.decode()
    cell = re.search(r'<td class="field-short_statement">(.*?)</td>', html, re.S).group(1)
    assert cell.startswith('<span title="') and cell.endswith("…</span>")
    assert len(re.search(r'title="([^"]*)"', cell).group(1)) >= len(long.statement)
    html = curator_client.get(CHANGELIST, {"q": short.public_id}).content.decode()
    cell = re.search(r'<td class="field-short_statement">(.*?)</td>', html, re.S).group(1)
    assert "title=" not in cell


def test_the_list_edit_selects_are_labelled_and_drawn_without_blank_lines(curator_client):
    """Regression (issue 17): 400 unlabelled selects, and 4,100 options each wrapped in blank lines
    (411 KB of HTML for 100 rows)."""
    response = curator_client.get(CHANGELIST)
    html = response.content.decode()
    claims = list(response.context["cl"].result_list)
    assert len(claims) == 100
    selects = re.findall(r"<select [^>]*name=\"form-\d+-\w+\"[^>]*>.*?</select>", html, re.S)
    assert len(selects) == 4 * len(claims)
    assert all('aria-label="' in select and "\n" not in select for select in selects)
    first = claims[0]
    status = re.search(r'<select [^>]*name="form-0-status"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="(\w+)" selected>', status) == [first.status]
    mechanism = re.search(r'<select [^>]*name="form-0-mechanism"[^>]*>(.*?)</select>', html, re.S).group(1)
    expected = str(first.mechanism_id) if first.mechanism_id else ""
    assert re.findall(r'<option value="(\w*)" selected>', mechanism) == [expected]


def test_the_claim_changelist_leaves_out_the_app_list_to_fit_its_columns(curator_client):
    assert 'id="nav-sidebar"' not in curator_client.get(CHANGELIST).content.decode()
    assert 'id="nav-sidebar"' in curator_client.get("/admin/claims/citation/").content.decode()


def test_a_list_edit_saves_the_value_chosen_in_the_python_drawn_select(curator_client):
    response = curator_client.get(CHANGELIST, {"status": "in_review"})
    claim = response.context["cl"].result_list[0]
    formset = response.context["cl"].formset
    data = {
        f"{formset.prefix}-TOTAL_FORMS": 1,
        f"{formset.prefix}-INITIAL_FORMS": 1,
        f"{formset.prefix}-MIN_NUM_FORMS": 0,
        f"{formset.prefix}-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    form = formset.forms[0]
    for name in form.fields:
        value = form[name].value()
        data[form.add_prefix(name)] = "" if value is None else value
        data[form.add_initial_prefix(name)] = "" if value is None else value
    chosen = "other" if claim.therapy_class != "other" else "chemotherapy"
    data[form.add_prefix("therapy_class")] = chosen
    done = curator_client.post(f"{CHANGELIST}?status=in_review", data)
    assert done.status_code == 302
    assert Claim.objects.get(pk=claim.pk).therapy_class == chosen


# 10. Custom admin pages look like the admin.


def _claim_action(client, action):
    claim = Claim.objects.filter(status="in_review").order_by("public_id").first()
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [claim.pk], "index": 0})


def _resolve_flags(client, editor):
    claim = Claim.objects.order_by("public_id").first()
    flag = flag_raise(claim=claim, user=editor, kind=Flag._meta.get_field("kind").choices[0][0], text="Check")
    return client.post(
        "/admin/claims/flag/", {"action": "resolve_flags", ACTION_CHECKBOX_NAME: [flag.pk], "index": 0}
    )


def _merge(client):
    two = list(Cargo.objects.order_by("pk").values_list("pk", flat=True)[:2])
    return client.post("/admin/claims/cargo/", {"action": "merge_entities", ACTION_CHECKBOX_NAME: two})


def _bibtex_preview(client):
    with open(REVIEW_BIB, "rb") as handle:
        return client.post(reverse("claims:bibtex-upload"), {"file": handle})


PAGES = {
    "approve": lambda client, editor: _claim_action(client, "approve"),
    "reject": lambda client, editor: _claim_action(client, "reject"),
    "set mechanism": lambda client, editor: _claim_action(client, "set_mechanism"),
    "set therapy class": lambda client, editor: _claim_action(client, "set_therapy_class"),
    "add a drug": lambda client, editor: _claim_action(client, "add_drug"),
    "resolve flags": _resolve_flags,
    "merge": lambda client, editor: _merge(client),
    "BibTeX upload": lambda client, editor: client.get(reverse("claims:bibtex-upload")),
    "BibTeX preview": lambda client, editor: _bibtex_preview(client),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_custom_admin_page_uses_djangos_breadcrumbs(editor_client, editor, page):
    response = PAGES[page](editor_client, editor)
    assert response.status_code == 200
    html = response.content.decode()
    trail = BREADCRUMBS.findall(html)
    assert len(trail) == 1, "one breadcrumb trail, inside the admin's <nav>"
    assert '<div class="breadcrumbs">' not in html
    items = re.findall(r"<li[^>]*>(.*?)</li>", trail[0], re.S)
    assert 'href="/admin/"' in items[0] and '<li aria-current="page">' in trail[0]


def _change_pages():
    """The change page of one object of every admin that has inlines."""
    for model in apps.get_app_config("claims").get_models():
        if not admin.site.is_registered(model):
            continue
        obj = model.objects.order_by("pk").first()
        if admin.site.get_model_admin(model).inlines and obj is not None:
            yield (
                model._meta.label,
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]),
            )


def test_no_inline_row_is_headed_by_a_generated_name(admin_client):
    """Regression (issue 17): citation rows were headed "Claim_citations object (66)"."""
    pages = dict(_change_pages())
    assert {"claims.Claim", "claims.Citation"} <= set(pages)
    for label, url in pages.items():
        html = admin_client.get(url).content.decode()
        assert not re.search(r"\w object \(\d+\)", html), label


def test_an_admin_message_appears_once(editor_client):
    claim = Claim.objects.filter(status="in_review").order_by("public_id").first()
    response = editor_client.post(
        CHANGELIST,
        {"action": "send_to_review", ACTION_CHECKBOX_NAME: [claim.pk], "index": 0},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages
    html = response.content.decode()
    assert all(html.count(str(message)[:40]) == 1 for message in messages)
