"""The admin's history pages keep to the strict CSP (issue 18, item 15): no inline style.

django-simple-history draws its pager with a ``style`` attribute, which ``style-src 'self'`` blocks
(the browser reports a violation on every history page). The page must carry no inline style, and
the CSP must stay strict rather than allow ``'unsafe-inline'``.
"""

import re

import pytest

from claims.models import Citation, Claim, Drug

INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style[\s>]", re.IGNORECASE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model, path",
    [(Claim, "claims/claim"), (Citation, "claims/citation"), (Drug, "claims/drug")],
    ids=["claim", "citation", "drug"],
)
def test_history_pages_have_no_inline_style_under_a_strict_csp(admin_client, model, path):
    obj = model.objects.order_by("pk").first()
    page = admin_client.get(f"/admin/{path}/{obj.pk}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "history-paginator" in html, "the history list is ExoClaims' copy of the template"
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html).group(0)
    csp = page["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "claims/admin.css" in html
