"""axe-core (tests/vendor/axe.min.js, MPL-2.0) on the main pages, desktop and phone, in Debian's
Chromium: no critical and no serious violation. With UPDATE_SCREENSHOTS=1 the same run refreshes
the README's screenshots (docs/screenshots/)."""

import os
from pathlib import Path

import pytest

from claims.models import Citation, Claim

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
WIDTHS = {"desktop": 1366, "phone": 390}
PASSWORD = "correct horse battery"  # tests/conftest.py's personas
BLOCKING = ("critical", "serious")


def _pages():
    claim = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    citation = Citation.objects.filter(claims__isnull=False).order_by("key").first()
    return {
        "home": "/",
        "claims": "/claims/",
        "claim": claim.get_absolute_url(),
        "citations": "/citations/",
        "citation": citation.get_absolute_url(),
        "review": "/review/",
        "admin-claims": "/admin/claims/claim/",
    }


def _violations(page):
    # Injected through the DevTools protocol: the site's CSP rightly forbids foreign scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.length, example: v.nodes[0] && v.nodes[0].target.join(" "),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


def _sign_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_selector(".account-name")


@pytest.mark.parametrize("device", WIDTHS)
def test_the_main_pages_have_no_critical_or_serious_axe_violations(browser, site, editor, device):
    """Reported by issue 17: 400 unlabelled list-edit selects in the admin changelist, among others."""
    width = WIDTHS[device]
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        _sign_in(page, site.url, "editor")  # the admin changelist needs a curator; public pages look the same
        problems = {}
        for name, path in _pages().items():
            response = page.goto(site.url + path)
            assert response.status == 200, (name, response.status)
            if os.environ.get("UPDATE_SCREENSHOTS") == "1":  # refreshes the README's pictures
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{device}.png"), type="png")
            violations = _violations(page)
            if violations:
                problems[name] = violations
        assert problems == {}, f"axe at {width} px: {problems}"
    finally:
        context.close()
