"""The site in a real browser (Debian's Chromium via Playwright): what a reader clicks through.

The ``page`` fixture fails a test on any console error or CSP violation; screenshots of the main
pages go to artifacts/screenshots/.
"""

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.models import Count, Q

from claims.models import Claim, Drug

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def shown_count(page):
    return int(re.match(r"(\d+) claim", page.locator("#result-count").inner_text()).group(1))


def listed_ids(page):
    return page.locator("li.claim-row").evaluate_all("rows => rows.map(r => r.dataset.publicId)")


def expected_count(url):
    """The claims a /claims/ URL selects, by the ORM (drug, direction, mechanism, therapy class, and
    background statements, left out unless background=show or a direction filter picks them)."""
    params = parse_qs(urlsplit(url).query)
    query = Q()
    if params.get("background", ["hide"]) == ["hide"] and "background" not in params.get("direction", []):
        query &= ~Q(direction="background")
    for drug in params.get("drug", []):
        query &= Q(drugs__slug=drug)
    for direction in params.get("direction", []):
        query &= Q(direction=direction)
    for mechanism in params.get("mechanism", []):
        query &= Q(mechanism__slug=mechanism) | Q(mechanism__parent__slug=mechanism)
    for therapy in params.get("therapy_class", []):
        query &= Q(therapy_class=therapy)
    return Claim.objects.filter(query).distinct().count()


def test_the_overview_heat_map_opens_the_claims_of_a_cell(page):
    page.open("/")
    page.screenshot_as("overview")
    cell = page.locator("table.heat-map td a").first
    number = int(cell.inner_text())
    cell.click()
    page.wait_for_url(re.compile(r"/claims/\?mechanism=.+&therapy_class=.+"))
    assert shown_count(page) == number == expected_count(page.url)
    page.screenshot_as("claims-from-heat-map")


def test_two_facets_combine(page):
    page.open("/claims/")
    drug_facet = page.locator("details.facet", has=page.locator("summary", has_text=re.compile(r"^Drug")))
    drug_facet.locator("a.facet-option").first.click()
    page.wait_for_url(re.compile(r"drug="))
    direction_facet = page.locator("details.facet", has=page.locator("summary", has_text="Direction"))
    direction_facet.locator("a.facet-option").first.click()
    page.wait_for_url(re.compile(r"drug=.+&direction=|direction=.+&drug="))
    assert page.locator("a.chip").count() == 2
    assert shown_count(page) == expected_count(page.url) > 0
    page.screenshot_as("claim-list-two-facets")


def test_searching_lists_the_matching_claims(page):
    page.open("/claims/")
    page.fill("#q", "tamoxifen")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=tamoxifen"))
    ids = listed_ids(page)
    assert ids and page.locator("a.chip", has_text="Search: tamoxifen").count() == 1
    documents = dict(Claim.objects.filter(public_id__in=ids).values_list("public_id", "search_document"))
    assert all("tamoxifen" in documents[i] for i in ids)
    page.screenshot_as("search")


def test_a_claim_leads_to_its_highlighted_quote_in_the_reader(page):
    page.open("/claims/")
    first = page.locator("li.claim-row h3 a").first
    first.click()
    page.wait_for_url(re.compile(r"/claims/CLM-[^/]+/$"))
    public_id = page.url.rstrip("/").rsplit("/", 1)[1]
    assert page.locator("blockquote mark#quote").inner_text().strip() == Claim.objects.get(
        public_id=public_id
    ).quote.strip().replace("\n", " ")
    page.screenshot_as("claim-detail")
    page.click("text=Read it in context in the annotated review")
    page.wait_for_url(re.compile(rf"/review/#{public_id}$"))
    quote = page.locator(f"mark#{public_id}")
    quote.wait_for()
    assert "is-target" in quote.get_attribute("class")
    box, viewport = quote.bounding_box(), page.viewport_size
    assert 0 <= box["y"] < viewport["height"], "the reader scrolled the quote into view"
    page.screenshot_as("review-reader")


def test_downloading_the_results_as_csv(page):
    drug = Drug.objects.annotate(n=Count("claims")).order_by("-n", "slug").first()
    page.open(f"/claims/?drug={drug.slug}")
    with page.expect_download() as download:
        page.click("a.download:text-is('CSV')")
    text = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(text)))
    # The download carries the page's background=hide: the claims listed, background statements left out.
    findings = Claim.objects.filter(drugs=drug).exclude(direction="background")
    expected = set(findings.values_list("public_id", flat=True))
    assert len(rows) - 1 == len(expected), "one header row, then one row per claim"
    assert expected <= set(re.findall(r"CLM-[\w-]+", text))


def test_the_main_pages_render_cleanly_on_a_desktop_and_fit_a_phone(page):
    claim = Claim.objects.filter(drugs__isnull=False, citations__isnull=False).order_by("public_id").first()
    pages = {
        "claim-list": "/claims/",
        "drug": claim.drugs.first().get_absolute_url(),
        "citations": "/citations/",
        "citation": claim.citations.first().get_absolute_url(),
        "mechanisms": "/mechanisms/",
        "login": "/accounts/login/",
    }
    for name, path in pages.items():
        page.open(path)
        page.screenshot_as(name)
    page.set_viewport_size(PHONE)
    for name, path in {**pages, "overview": "/", "review-reader": "/review/"}.items():
        page.open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
            f"{path} scrolls sideways"
        )
        page.screenshot_as(f"{name}-phone")


def test_the_skip_link_is_the_first_stop_for_keyboard_users(page):
    page.open("/claims/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
