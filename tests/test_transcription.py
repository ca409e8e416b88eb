"""The transcription checked against the review text itself."""

import re

import pytest

from claims import vocabulary as v
from claims.models import Citation, Claim, Section, Source, Target
from claims.review_text import REVIEW_PATH, citation_key, extract_citation_labels, read_review, split_sections

pytestmark = pytest.mark.django_db
SEED = REVIEW_PATH.parent.parent.parent.parent / "shared" / "seed" / "review.txt"


def test_the_shipped_review_text_is_the_source_text_unchanged():
    if not SEED.exists():
        pytest.skip("shared/seed is not beside this checkout")
    assert REVIEW_PATH.read_bytes() == SEED.read_bytes()


def test_the_stored_source_is_the_review_with_its_text():
    source = Source.objects.get()
    assert source.doi == "10.3389/fbioe.2023.1214648"
    assert source.licence == "CC BY 4.0"
    assert source.text == read_review()


def test_every_section_heading_and_figure_caption_is_a_section():
    numbers = set(Section.objects.values_list("number", flat=True))
    expected = {"abstract", "1", "2", "3", "3.1", "3.2", "4", "5", "6", "6.1", "6.2", "6.3", "7"}
    assert expected | {f"fig{n}" for n in range(1, 8)} == numbers


def test_every_citation_label_in_the_text_has_a_citation():
    labels = set(extract_citation_labels(read_review()))
    known = set(Citation.objects.values_list("label", flat=True))
    assert labels - known == set()
    assert len(labels) > 100


def test_label_extraction_finds_every_parenthesised_year_in_the_text():
    """Guards the extractor: any '(…, 2019)' group the regex would miss shows up here."""
    text = read_review()
    years = re.findall(r"\b(?:19|20)\d\d[a-z]?\)", text)
    assert len(extract_citation_labels(text)) >= len(years)


@pytest.mark.parametrize(
    "label,key",
    [
        ("Ning et al., 2017", "ning2017"),
        ("Wang et al., 2019a", "wang2019a"),
        ("Sedgwick and D’Souza-Schorey, 2018", "sedgwick2018"),
        ("Early Breast Cancer Trialists’ Collaborative Group EBCTCG, 2011", "ebctcg2011"),
        ("F et al., 2018", "f2018"),
        ("Łukasiewicz et al., 2021", "lukasiewicz2021"),
        ("O’Neill et al., 2019", "oneill2019"),
    ],
)
def test_citation_keys_are_derived_stably_from_labels(label, key):
    assert citation_key(label) == key
    assert Citation.objects.get(label=label).key == key


def test_no_citation_without_a_label_in_the_text():
    labels = set(extract_citation_labels(read_review()))
    assert set(Citation.objects.values_list("label", flat=True)) - labels == set()


def test_every_quote_is_the_exact_text_at_its_offsets():
    text = read_review()
    sections = {s.number: s for s in split_sections(text)}
    claims = list(Claim.objects.select_related("section"))
    assert claims
    for claim in claims:
        assert text[claim.quote_start : claim.quote_end] == claim.quote, claim.public_id
        assert text[: claim.quote_start].endswith(claim.quote_prefix), claim.public_id
        assert text[claim.quote_end :].startswith(claim.quote_suffix), claim.public_id
        assert sections[claim.section.number].contains(claim.quote_start, claim.quote_end), claim.public_id


def test_direction_says_what_a_claim_states_whether_or_not_it_is_cited():
    """Regression (issue 13): every uncited claim was coded background, hiding uncited findings."""
    uncited = Claim.objects.filter(citations__isnull=True)
    directions = set(uncited.values_list("direction", flat=True))
    assert {
        v.Direction.PROMOTES,
        v.Direction.REVERSES,
        v.Direction.BIOMARKER,
        v.Direction.DELIVERY,
    } <= directions
    assert Claim.objects.get(public_id="CLM-0233").direction == v.Direction.REVERSES


# Molecules the review names as what cargo acts on, or as mediators: never exosomal cargo.
KNOWN_TARGETS = {"eif4a3", "myc", "hnrnpa2b1", "egfr", "foxp3", "mta1", "nfe2l3", "hsp90aa1", "ctsb", "cst6"}


def test_no_known_target_is_listed_as_cargo():
    as_cargo = Claim.objects.filter(cargo__slug__in=KNOWN_TARGETS).values_list("public_id", "cargo__slug")
    assert list(as_cargo) == []
    assert Target.objects.filter(slug__in=KNOWN_TARGETS).count() == len(KNOWN_TARGETS)


def test_every_claim_with_cargo_says_what_was_done_to_it():
    with_cargo = Claim.objects.filter(cargo__isnull=False).distinct()
    assert not with_cargo.filter(cargo_intervention=v.CargoIntervention.NOT_APPLICABLE).exists()
    without = Claim.objects.filter(cargo__isnull=True)
    assert set(without.values_list("cargo_intervention", flat=True)) == {v.CargoIntervention.NOT_APPLICABLE}


@pytest.mark.parametrize(
    "finding, its_mirror", [("CLM-0108", "CLM-0255"), ("CLM-0078", "CLM-0079"), ("CLM-0064", "CLM-0065")]
)
def test_raising_and_lowering_the_same_cargo_with_opposite_outcomes_is_one_finding(finding, its_mirror):
    a, b = Claim.objects.get(public_id=finding), Claim.objects.get(public_id=its_mirror)
    sign = lambda c: v.INTERVENTION_SIGN[c.cargo_intervention] * v.DIRECTION_SIGN[c.direction]  # noqa: E731
    assert {a.cargo_intervention, b.cargo_intervention} == {
        v.CargoIntervention.RAISED,
        v.CargoIntervention.LOWERED,
    }
    assert sign(a) == sign(b)


def test_figure_captions_that_state_findings_are_claims_linked_to_what_they_repeat():
    captions = Claim.objects.filter(section__number__startswith="fig")
    assert captions.filter(section__number="fig2").count() >= 3
    linked = captions.filter(restates__isnull=False).distinct()
    assert linked.count() >= 5
    for caption in linked:
        assert all(
            not other.section.number.startswith("fig") or other.section.number != caption.section.number
            for other in caption.restates.all()
        )


def test_every_cited_label_in_a_quote_is_a_citation_of_some_claim_on_that_sentence():
    """No citation in the review is left without a claim resting on it."""
    cited = set(Claim.objects.values_list("citations__label", flat=True))
    assert set(extract_citation_labels(read_review())) - cited == set()


def test_statements_are_our_words_not_the_quote():
    for statement, quote in Claim.objects.values_list("statement", "quote"):
        assert statement.strip() != quote.strip()


def test_transcribed_claims_start_in_review_and_only_cited_ones_carry_a_support_verdict():
    assert set(Claim.objects.values_list("status", flat=True)) <= {v.CurationStatus.IN_REVIEW}
    uncited = Claim.objects.filter(citations__isnull=True)
    assert set(uncited.values_list("citation_support", flat=True)) == {v.CitationSupport.NOT_CHECKED}


@pytest.mark.parametrize(
    "finding, its_mirror", [("CLM-0108", "CLM-0255"), ("CLM-0078", "CLM-0079"), ("CLM-0064", "CLM-0065")]
)
def test_the_review_s_mirrored_findings_corroborate_and_never_contradict(client, finding, its_mirror):
    """Regression (issue 13): 'miR-567 reverses' and 'suppressing miR-567 causes' were listed as contradicting."""
    a = Claim.objects.get(public_id=finding)
    assert its_mirror in Claim.objects.corroborating(a).values_list("public_id", flat=True)
    assert its_mirror not in Claim.objects.contradicting(a).values_list("public_id", flat=True)
    page = client.get(a.get_absolute_url()).content.decode()
    corroborating = page.split("Corroborating findings", 1)[1].split("Contradicting findings", 1)[0]
    assert its_mirror in corroborating


@pytest.mark.parametrize(
    "query", ["herceptin", "MDR1", "hsa-miR-155-5p", "miR155", "Adriamycin", "P-glycoprotein"]
)
def test_the_names_readers_type_find_claims_in_the_real_transcription(client, query):
    response = client.get("/api/claims/", {"q": query})
    assert response.status_code == 200 and response.json()["count"] > 0, query
