"""The claim list opens on the review's findings: background statements wait behind a switch, the
counts agree with what is listed, and a search that finds nothing offers the names it may have meant."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from claims import vocabulary as v
from claims.models import Claim, Drug
from tests.factories import make_claim
from tests.pages import every_listed, listed, page_html, result_count, text_of

BACKGROUND = v.Direction.BACKGROUND


def findings():
    return Claim.objects.exclude(direction=BACKGROUND)


def background():
    return Claim.objects.filter(direction=BACKGROUND)


def switch(response):
    """The switch's link text and address."""
    found = re.search(r'<a class="switch[^"]*" href="([^"]*)"[^>]*>(.*?)</a>', page_html(response), re.S)
    return text_of(found.group(2)).strip(), unescape(found.group(1))


def facet_links(response, parameter):
    """{value: (count, address)} of one facet's options."""
    options = re.findall(
        r'<a class="facet-option[^"]*" href="([^"]*)"[^>]*>.*?<span class="count">(\d+)',
        page_html(response),
        re.S,
    )
    found = {}
    for url, count in options:
        url = unescape(url)
        values = parse_qs(urlsplit(url).query).get(parameter)
        if values:
            found[values[-1]] = (int(count), url)
    return found


@pytest.mark.django_db
def test_the_claim_list_hides_background_statements_and_says_how_many(client):
    response = client.get("/claims/")
    hidden = background().count()
    assert hidden and result_count(response) == findings().count()
    assert switch(response) == (f"Show background statements ({hidden})", "/claims/?background=show")
    assert f"{hidden} claims giving the review's background are hidden" in " ".join(
        text_of(page_html(response)).split()
    )
    listed_ids = set(every_listed(client, "/claims/", {}))
    assert listed_ids == set(findings().values_list("public_id", flat=True))


@pytest.mark.django_db
def test_the_switch_shows_them_and_switches_back(client):
    text, url = switch(client.get("/claims/"))
    response = client.get(url)
    assert result_count(response) == Claim.objects.count()
    assert set(every_listed(client, "/claims/", {"background": "show"})) >= set(
        background().values_list("public_id", flat=True)
    )
    assert switch(response) == (f"Hide background statements ({background().count()})", "/claims/")


@pytest.mark.django_db
def test_facet_counts_are_what_a_click_lists_with_background_hidden(client):
    response = client.get("/claims/")
    directions = facet_links(response, "direction")
    assert BACKGROUND not in directions and directions
    drugs = list(facet_links(response, "drug").values())[:3]
    for count, url in [*directions.values(), *drugs]:
        assert result_count(client.get(url)) == count, url
    assert sum(count for count, _ in directions.values()) == result_count(response)


@pytest.mark.django_db
def test_the_downloads_list_the_same_claims_and_the_api_lists_everything_unless_asked(client):
    response = client.get("/claims/")
    api = re.search(r'href="(/api/claims/\?[^"]*)" rel="nofollow">API', page_html(response)).group(1)
    assert unescape(api) == "/api/claims/?background=hide"
    assert client.get(unescape(api)).json()["count"] == result_count(response)
    assert client.get("/api/claims/").json()["count"] == Claim.objects.count()
    assert client.get("/api/claims/", {"background": "show"}).json()["count"] == Claim.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/claims/", "/api/claims/"])
def test_an_unknown_background_value_is_refused_naming_the_parameter(client, path):
    response = client.get(path, {"background": "maybe"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "background" in body and "maybe" in body


@pytest.mark.django_db
def test_asking_for_background_claims_by_direction_lists_them(client):
    response = client.get("/claims/", {"direction": BACKGROUND})
    assert result_count(response) == background().count()
    assert set(listed(response)) <= set(background().values_list("public_id", flat=True))


@pytest.mark.django_db
def test_a_direction_filter_needs_no_switch_and_no_extra_api_parameter(client):
    response = client.get("/claims/", {"direction": "promotes_resistance"})
    assert 'id="background-switch"' not in page_html(response)
    assert 'href="/api/claims/?direction=promotes_resistance" rel="nofollow">API' in page_html(response)


@pytest.mark.django_db
def test_an_entity_page_lists_its_background_claims_and_offers_to_hide_them(client):
    drug = Drug.objects.filter(claims__direction=BACKGROUND).order_by("slug").first()
    response = client.get(drug.get_absolute_url())
    assert result_count(response) == drug.claims.count()
    hidden = drug.claims.filter(direction=BACKGROUND).count()
    text, url = switch(response)
    assert text == f"Hide background statements ({hidden})"
    assert result_count(client.get(url)) == drug.claims.count() - hidden


@pytest.mark.django_db
def test_a_misspelled_search_suggests_the_nearest_names_as_corrected_searches(client):
    response = client.get("/claims/", {"q": "doxorubicn"})
    assert result_count(response) == 0
    text = " ".join(text_of(page_html(response)).split())
    assert "No claims match ‘doxorubicn’. Did you mean: doxorubicin (drug)" in text
    corrected = re.search(r'<span class="suggestions">Did you mean: <a href="([^"]*)">', page_html(response))
    response = client.get(unescape(corrected.group(1)))
    assert parse_qs(urlsplit(unescape(corrected.group(1))).query)["q"] == ["doxorubicin"]
    assert result_count(response) > 0


@pytest.mark.django_db
def test_a_suggestion_keeps_the_other_words_and_filters(client):
    response = client.get("/claims/", {"q": "exosomes tamoxifne", "background": "show"})
    assert result_count(response) == 0
    corrected = re.search(
        r'<span class="suggestions">Did you mean: <a href="([^"]*)">tamoxifen</a>', page_html(response)
    )
    query = parse_qs(urlsplit(unescape(corrected.group(1))).query)
    assert query == {"q": ["exosomes tamoxifen"], "background": ["show"]}


@pytest.mark.django_db
def test_a_search_far_from_every_name_suggests_nothing(client):
    response = client.get("/claims/", {"q": "zzzzqqqq"})
    assert result_count(response) == 0 and "Did you mean" not in page_html(response)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reader_at_desktop_width_sees_findings_first_and_can_show_the_background(page):
    page.page.set_viewport_size({"width": 1366, "height": 900})
    page.open("/claims/")
    link = page.page.locator("#background-switch a.switch")
    hidden = background().count()
    assert link.inner_text().strip() == f"Show background statements ({hidden})"
    count = page.page.locator("#result-count")
    assert count.inner_text().startswith(f"{findings().count()} claims")
    box = link.bounding_box()
    assert box["height"] >= 24 and box["x"] + box["width"] <= 1366
    page.screenshot_as("claims-findings-first-1366")
    link.click()
    page.page.wait_for_url(re.compile(r"background=show"))
    assert count.inner_text().startswith(f"{Claim.objects.count()} claims")
    assert page.page.locator("#background-switch a.switch").inner_text().strip().startswith("Hide background")


@pytest.mark.django_db
def test_a_search_matching_only_background_statements_offers_to_show_them_not_other_names(client, curator):
    make_claim(curator, direction=BACKGROUND, statement="Test: exosomes were once called platelet dust.")
    response = client.get("/claims/", {"q": "platelet dust"})
    assert result_count(response) == 0
    words = " ".join(text_of(page_html(response)).split())
    assert "Show the 1 background statement." in words and "Did you mean" not in words
    assert switch(response) == ("Show background statements (1)", "/claims/?q=platelet+dust&background=show")
