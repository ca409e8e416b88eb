"""An oversized BibTeX upload is refused with its real size (issue 18, item 15).

The API reads at most one byte past the limit, so it used to report the limit + 1 as the file's
size, whatever the file weighed. The three doors (site form, API multipart, API raw body) must name
the size the curator sent.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.models import Citation

ENTRY = "@article{{entry{n},\n  author = {{Doe, Jane}},\n  title = {{Work {n}}},\n  year = {{2020}}\n}}\n"
FILE = "".join(ENTRY.format(n=n) for n in range(40)).encode()


@pytest.fixture
def small_limit(settings):
    settings.BIBTEX_MAX_BYTES = 200
    assert len(FILE) > 10 * 200


def _expected():
    return f"the file is {len(FILE):,} bytes; the limit is 200 bytes"


@pytest.mark.django_db
def test_the_site_form_names_the_real_size(curator_client, small_limit):
    page = curator_client.post("/curate/bibtex/", {"file": SimpleUploadedFile("big.bib", FILE)})
    assert page.status_code == 400 and _expected() in page.content.decode()


@pytest.mark.django_db
def test_an_api_multipart_upload_names_the_real_size(curator_client, small_limit):
    count = Citation.objects.count()
    answer = curator_client.post("/api/citations/import/", {"file": SimpleUploadedFile("big.bib", FILE)})
    assert answer.status_code == 400
    assert answer.json()["errors"]["file"] == [_expected()]
    assert Citation.objects.count() == count


@pytest.mark.django_db
def test_an_api_raw_body_upload_names_the_real_size(curator_client, small_limit):
    count = Citation.objects.count()
    answer = curator_client.post("/api/citations/import/", FILE, content_type="application/x-bibtex")
    assert answer.status_code == 400
    assert answer.json()["errors"]["file"] == [_expected()]
    assert Citation.objects.count() == count
