"""``reverse()`` for the one-argument URLs a page links hundreds of times.

A claim list links every claim's drugs, cargo, cell lines and citations: some 400 ``reverse()``
calls a page, each walking the URL resolver (bench/results). Here a view's URL is reversed once
with a placeholder (per URLconf and script prefix) and a lookup made only of the characters
every pattern here accepts and ``reverse()`` leaves as they are (letters, digits, '-', '_') is
put in its place; any other lookup still goes through ``reverse()``, for its checks and quoting.
"""

import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

PLACEHOLDER = "zzexoclaimslookupzz"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+\Z")
_templates: dict[tuple[str, str, str], str] = {}


def path_template(view_name: str) -> str:
    """The path of ``view_name`` with PLACEHOLDER for its one argument (see ``fill``)."""
    key = (view_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    template = _templates.get(key)
    if template is None:
        template = _templates[key] = reverse(view_name, args=[PLACEHOLDER])
    return template


def fill(template: str, view_name: str, lookup: object) -> str:
    """``template`` (from path_template, perhaps made absolute) for ``lookup``."""
    lookup = str(lookup)
    if _PLAIN.match(lookup):
        return template.replace(PLACEHOLDER, lookup)
    return template.replace(path_template(view_name), reverse(view_name, args=[lookup]))


def reverse_one(view_name: str, lookup: object) -> str:
    """``reverse(view_name, args=[lookup])``, fast for plain lookups (slugs, keys, public ids)."""
    return fill(path_template(view_name), view_name, lookup)
