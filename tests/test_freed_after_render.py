"""A list page's claims are freed by reference counting once the response is written, not left
in reference cycles for the cycle collector (issue 16: collecting the pile-up made one request in
twenty of /api/claims/ take twice the usual time; p95 was 2.4 times p50)."""

import gc
from urllib.parse import urlsplit

import pytest
from django.db.models import Model
from django.test.client import ClientHandler, RequestFactory

pytestmark = pytest.mark.django_db


def _get(url):
    """``url`` through the middleware and views as a server calls them: the test client's own
    records of each request (the contexts every template rendered with, ``response.json``) hold
    on to what a server lets go of, so they are left out."""
    parts = urlsplit(url)
    environ = RequestFactory()._base_environ(PATH_INFO=parts.path, QUERY_STRING=parts.query)
    response = ClientHandler()(environ)  # closes the response, as a server does once it is sent
    assert response.status_code == 200 and not response.streaming, url


def _left_for_the_collector(url):
    """The model instances a request for ``url`` left in reference cycles."""
    _get(url)  # warm: first-use caches are not garbage
    gc.collect()
    gc.disable()
    try:
        _get(url)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return [type(obj).__name__ for obj in gc.garbage if isinstance(obj, Model)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize(
    "url",
    [
        "/api/claims/?page_size=50",
        "/api/claims/?q=exosomes&page_size=50",
        "/api/claims/?drug=doxorubicin",
        "/claims/",
        "/claims/?q=exosomes",
        "/drugs/doxorubicin/",
    ],
)
def test_a_list_leaves_no_claim_for_the_cycle_collector(url):
    left = _left_for_the_collector(url)
    # An entity's page keeps the entity itself in the template context (one object).
    assert left == (["Drug"] if url.startswith("/drugs/") else [])
