"""Claims that mean what the review means (issue 13): polarity-aware agreement, targets, the
cargo intervention, the mechanism tree, uncited claims and misprints, through pages, API and exports."""

import csv
import io
import re

import pytest

from claims import vocabulary as v
from claims.models import Cargo, Citation, Claim, Drug, Mechanism, Target
from claims.services.claim_writes import claim_update
from tests.factories import make_claim
from tests.pages import listed, page_html, result_count

pytestmark = pytest.mark.django_db

RAISED, LOWERED, MEASURED, NONE = "raised", "lowered", "measured", "not_applicable"
PROMOTES, REVERSES = "promotes_resistance", "reverses_resistance"


@pytest.fixture
def findings(curator):
    """Claims on one new drug and one new miRNA, done and read every way."""
    drug = Drug.objects.create(name="Testumab", slug="testumab", aliases=["Testceptin"])
    mirna = Cargo.objects.create(name="miR-9567", slug="mir-9567", cargo_type=v.CargoType.MIRNA)
    citation = Citation.objects.order_by("key").first()

    def claim(intervention, direction, statement):
        return make_claim(
            curator,
            direction=direction,
            drugs=[drug],
            cargo=[mirna],
            citations=[citation],
            cargo_intervention=intervention,
            statement=statement,
        )

    return {
        "raise_reverses": claim(RAISED, REVERSES, "Test: raising miR-9567 reverses Testumab resistance."),
        "lower_promotes": claim(LOWERED, PROMOTES, "Test: lowering miR-9567 promotes Testumab resistance."),
        "raise_promotes": claim(RAISED, PROMOTES, "Test: raising miR-9567 promotes Testumab resistance."),
        "measured_promotes": claim(MEASURED, PROMOTES, "Test: more miR-9567 goes with resistance."),
        "no_intervention": claim(NONE, PROMOTES, "Test: miR-9567 exosomes promote resistance."),
        "biomarker": claim(RAISED, "biomarker", "Test: miR-9567 marks resistance."),
    }


def _section(body, title_id):
    return body.split(f'id="{title_id}"')[1].split("</section>")[0]


def _ids(fragment):
    return set(re.findall(r'href="/claims/(CLM-[^/]+)/"', fragment))


# ------------------------------------------------------------------------------ 3. contradiction


def test_raising_a_cargo_that_reverses_resistance_agrees_with_lowering_it_that_promotes_it(client, findings):
    body = page_html(client.get(findings["raise_reverses"].get_absolute_url()))
    corroborating = _section(body, "corroborating-title")
    contradicting = _section(body, "contradicting-title")
    assert _ids(corroborating) == {findings["lower_promotes"].public_id}
    assert _ids(contradicting) == {
        findings["raise_promotes"].public_id,
        findings["measured_promotes"].public_id,
    }
    # Corroborating findings come with their citations.
    citation = findings["lower_promotes"].citations.get()
    assert f'href="{citation.get_absolute_url()}"' in corroborating


@pytest.mark.parametrize("name", ["no_intervention", "biomarker"])
def test_a_claim_without_a_polarity_neither_agrees_nor_contradicts(client, findings, name):
    claim = findings[name]
    assert not Claim.objects.contradicting(claim).exists()
    assert not Claim.objects.corroborating(claim).exists()
    for other in findings.values():
        assert claim not in Claim.objects.contradicting(other)
        assert claim not in Claim.objects.corroborating(other)
    body = page_html(client.get(claim.get_absolute_url()))
    assert "This claim is not compared" in _section(body, "contradicting-title")


def test_the_disagreements_page_lists_every_real_contradiction_once(client, findings):
    body = page_html(client.get("/disagreements/"))
    assert "Where the literature disagrees" in body
    pairs = re.findall(r'<li class="disagreement">(.*?)</li>\s*</ul>', body, re.S)
    found = [tuple(sorted(_ids(pair))) for pair in pairs]
    assert len(found) == len(set(found))
    ours = {pair for pair in found if set(pair) <= {c.public_id for c in findings.values()}}
    minus = [findings["raise_reverses"], findings["lower_promotes"]]
    plus = [findings["raise_promotes"], findings["measured_promotes"]]
    assert ours == {tuple(sorted([a.public_id, b.public_id])) for a in minus for b in plus}
    # Every pair listed is a contradiction by the claim page's own rule.
    for first, second in found:
        assert (
            Claim.objects.contradicting(Claim.objects.get(public_id=first)).filter(public_id=second).exists()
        )


def test_the_disagreements_page_says_so_when_nothing_disagrees(client):
    Claim.objects.update(cargo_intervention=NONE)
    response = client.get("/disagreements/")
    assert response.status_code == 200
    assert "No two claims contradict each other" in page_html(response)


def test_the_home_page_and_the_navigation_link_to_the_disagreements(client):
    home = page_html(client.get("/"))
    assert home.count('href="/disagreements/"') >= 2  # the navigation and "where to start"


# ------------------------------------------------------------------------------ 1. targets


@pytest.fixture
def target(curator, findings):
    target = Target.objects.create(
        name="PTENtest",
        slug="ptentest",
        target_type=v.TargetType.PROTEIN,
        aliases=["Pten-T"],
        misprints=["PTNE-T"],
    )
    claim = findings["raise_reverses"]
    claim_update(claim=claim, user=curator, targets=[target])
    return target


def test_targets_have_their_pages_listing_their_claims(client, target, findings):
    listing = page_html(client.get("/targets/"))
    assert f'href="{target.get_absolute_url()}"' in listing
    response = client.get(target.get_absolute_url())
    assert response.status_code == 200
    assert listed(response) == [findings["raise_reverses"].public_id]
    assert "Protein" in page_html(response)


def test_a_claim_shows_what_its_cargo_acts_on(client, target, findings):
    claim = findings["raise_reverses"]
    body = page_html(client.get(claim.get_absolute_url()))
    assert "Acts on" in body and f'href="{target.get_absolute_url()}"' in body
    row = page_html(client.get("/claims/", {"target": "ptentest"}))
    assert "Acts on" in row and f'href="{target.get_absolute_url()}"' in row


@pytest.mark.parametrize("name", ["ptentest", "PTENtest", "pten-t", "PTNE-T"])
def test_the_target_filter_takes_a_name_slug_alias_or_misprint_on_both_surfaces(
    client, target, findings, name
):
    wanted = [findings["raise_reverses"].public_id]
    assert listed(client.get("/claims/", {"target": name})) == wanted
    assert [c["id"] for c in client.get("/api/claims/", {"target": name}).json()["results"]] == wanted


def test_an_unknown_target_is_a_400_naming_it(client):
    response = client.get("/api/claims/", {"target": "no-such-target"})
    assert response.status_code == 400 and "no-such-target" in response.content.decode()
    assert client.get("/claims/", {"target": "no-such-target"}).status_code == 400


def test_the_api_lists_targets_and_nests_them_in_claims(client, target, findings):
    body = client.get("/api/targets/", {"page_size": 500}).json()
    row = next(r for r in body["results"] if r["slug"] == "ptentest")
    assert row["claim_count"] == 1 and row["type"] == "protein" and row["misprints"] == ["PTNE-T"]
    claim = client.get(f"/api/claims/{findings['raise_reverses'].public_id}/").json()
    assert [(t["slug"], t["name"], t["type"]) for t in claim["targets"]] == [
        ("ptentest", "PTENtest", "protein")
    ]
    assert claim["cargo_intervention"] == "raised"


def test_targets_are_a_facet_and_a_csv_column(client, target):
    facets = client.get("/api/facets/").json()["facets"]
    assert {"value": "ptentest", "label": "PTENtest", "count": 1, "depth": 0} in facets["target"]
    response = client.get("/api/claims/", {"target": "ptentest", "format": "csv"})
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["targets"], r["cargo_intervention"]) for r in rows] == [("ptentest", "raised")]


def test_the_api_writes_targets_and_the_cargo_intervention(curator_client, target, findings):
    claim = findings["no_intervention"]
    response = curator_client.patch(
        f"/api/claims/{claim.public_id}/",
        {"targets": ["ptentest"], "cargo_intervention": "lowered"},
        content_type="application/json",
        headers={"if-match": claim.etag},
    )
    assert response.status_code == 200, response.content
    claim.refresh_from_db()
    assert list(claim.targets.all()) == [target] and claim.cargo_intervention == "lowered"
    bad = curator_client.patch(
        f"/api/claims/{claim.public_id}/",
        {"targets": ["nope"], "cargo_intervention": "doubled"},
        content_type="application/json",
        headers={"if-match": Claim.objects.get(pk=claim.pk).etag},
    )
    assert bad.status_code == 400
    assert "nope" in bad.content.decode() and "cargo_intervention" in bad.content.decode()


def test_the_site_form_edits_targets_and_the_cargo_intervention(curator_client, target, findings):
    claim = findings["measured_promotes"]
    from claims.forms import ClaimForm

    data = {k: val for k, val in ClaimForm.initial_for(claim).items() if val is not None}
    data.update(targets="Pten-T", cargo_intervention="raised", not_duplicate="on", action="save")
    response = curator_client.post(f"/claims/{claim.public_id}/edit/", data)
    assert response.status_code == 302, page_html(response)[:3000]
    claim.refresh_from_db()
    assert list(claim.targets.all()) == [target] and claim.cargo_intervention == "raised"


def test_the_claim_admin_autocompletes_targets(admin_client, target):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "claims", "model_name": "claim", "field_name": "targets", "term": "ptent"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["PTENtest"]
    assert admin_client.get("/admin/claims/target/").status_code == 200
    form = page_html(admin_client.get(f"/admin/claims/claim/{Claim.objects.first().pk}/change/"))
    assert 'name="targets"' in form and 'name="cargo_intervention"' in form


# ------------------------------------------------------------------------------ 2. cargo intervention


def test_rows_and_pages_say_what_was_done_to_the_cargo(client, findings):
    row = page_html(client.get("/claims/", {"drug": "testumab", "cargo_intervention": "lowered"}))
    assert listed(client.get("/claims/", {"drug": "testumab", "cargo_intervention": "lowered"})) == [
        findings["lower_promotes"].public_id
    ]
    assert "(cargo lowered)" in row
    page = page_html(client.get(findings["raise_promotes"].get_absolute_url()))
    assert "cargo raised" in page


def test_the_cargo_intervention_facet_counts_what_its_filter_lists(client, findings):
    facets = client.get("/api/facets/", {"drug": "testumab"}).json()["facets"]["cargo_intervention"]
    for value in facets:
        listed_count = client.get("/api/claims/", {"drug": "testumab", "cargo_intervention": value["value"]})
        assert listed_count.json()["count"] == value["count"]
    assert {f["value"]: f["count"] for f in facets} == {RAISED: 3, LOWERED: 1, MEASURED: 1, NONE: 1}


# ------------------------------------------------------------------------------ 4. mechanism tree


@pytest.fixture
def mechanism_tree(curator):
    """Three levels of new mechanisms, each with a claim of its own."""
    root = Mechanism.objects.create(name="Test root mechanism", slug="test-root")
    child = Mechanism.objects.create(name="Test child mechanism", slug="test-child", parent=root)
    grandchild = Mechanism.objects.create(
        name="Test grandchild mechanism", slug="test-grandchild", parent=child
    )
    for mechanism in (root, child, grandchild, grandchild):
        make_claim(
            curator,
            mechanism=mechanism,
            direction=v.Direction.PROMOTES,
            citations=[Citation.objects.order_by("key").first()],
        )
    return root, child, grandchild


def _html_facet(body, parameter):
    """{value: count} of one facet of the HTML browser."""
    options = re.findall(
        rf'<a class="facet-option[^"]*" href="/claims/\?(?:background=show&amp;)?{parameter}=([^"&]+)"[^>]*>'
        r'.*?<span class="count">(\d+)</span>',
        body,
        re.S,
    )
    return {value: int(count) for value, count in options}


def test_every_mechanism_count_is_the_number_of_claims_its_link_lists(client, mechanism_tree):
    # every claim, background statements too, on both surfaces
    facet = _html_facet(page_html(client.get("/claims/", {"background": "show"})), "mechanism")
    api = {f["value"]: f["count"] for f in client.get("/api/facets/").json()["facets"]["mechanism"]}
    assert facet == api
    with_claims = [
        m.slug
        for m in Mechanism.objects.all()
        if client.get("/api/claims/", {"mechanism": m.slug}).json()["count"]
    ]
    assert sorted(facet) == sorted(with_claims)
    for slug, count in facet.items():
        assert result_count(client.get("/claims/", {"mechanism": slug, "background": "show"})) == count
        assert client.get("/api/claims/", {"mechanism": slug}).json()["count"] == count
    assert (facet["test-root"], facet["test-child"], facet["test-grandchild"]) == (4, 3, 2)


def test_the_mechanism_facet_is_a_tree(client, mechanism_tree):
    body = page_html(client.get("/claims/"))
    facet = body.split(">Mechanism<")[1].split("</details>")[0] if ">Mechanism<" in body else body
    order = [slug for slug in re.findall(r'href="/claims/\?mechanism=([^"&]+)"', body)]
    assert order.index("test-root") < order.index("test-child") < order.index("test-grandchild")
    assert re.search(r'<li class="facet-depth-1"><a [^>]*href="/claims/\?mechanism=test-child"', body)
    assert re.search(r'<li class="facet-depth-2"><a [^>]*href="/claims/\?mechanism=test-grandchild"', body)
    api = client.get("/api/facets/").json()["facets"]["mechanism"]
    depths = {f["value"]: f["depth"] for f in api}
    assert (depths["test-root"], depths["test-child"], depths["test-grandchild"]) == (0, 1, 2)
    assert facet


# ------------------------------------------------------------------------------ 5. cited in the review


def test_uncited_claims_can_be_listed_and_carry_a_badge(client, curator):
    uncited = make_claim(curator, direction="background", statement="Test: an uncited background claim.")
    expected = sorted(Claim.objects.filter(citations__isnull=True).values_list("public_id", flat=True))
    api = client.get("/api/claims/", {"cited": "no", "page_size": 500}).json()
    assert sorted(c["id"] for c in api["results"]) == expected and api["count"] == len(expected)
    assert all(not c["cited"] for c in api["results"])
    cited = client.get("/api/claims/", {"cited": "yes"}).json()["count"]
    assert cited + len(expected) == Claim.objects.count()
    facet = {f["value"]: f["count"] for f in client.get("/api/facets/").json()["facets"]["cited"]}
    assert facet == {"yes": cited, "no": len(expected)}
    page = client.get("/claims/", {"cited": "no", "q": "uncited background claim", "background": "show"})
    assert listed(page) == [uncited.public_id] and "uncited in the review" in page_html(page)
    assert "uncited in the review" in page_html(client.get(uncited.get_absolute_url()))


def test_a_bad_cited_value_is_a_400(client):
    response = client.get("/api/claims/", {"cited": "maybe"})
    assert response.status_code == 400 and "maybe" in response.content.decode()


# ------------------------------------------------------------------------------ 6. misprints


def test_entity_pages_show_misprints_apart_from_aliases(client, target):
    body = page_html(client.get(target.get_absolute_url()))
    assert "as misprinted in the review: <q>PTNE-T</q>" in body
    also = body.split("<dt>Also written</dt>")[1].split("</dd>")[0]
    assert "Pten-T" in also and "PTNE-T" not in also


def test_misprints_still_find_the_claims(client, target, findings):
    assert listed(client.get("/claims/", {"q": "ptne-t"})) == [findings["raise_reverses"].public_id]
