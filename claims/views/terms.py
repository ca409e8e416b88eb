"""/terms: the exo: vocabulary at its own IRI, as a page for people and as Turtle or JSON-LD."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from claims.linked_data import TERMS, terms_document_iri, vocabulary_jsonld, vocabulary_turtle
from claims.views.negotiation import HTML, JSON, JSONLD, TURTLE, preferred_type, unknown_format, varying


@require_safe
def terms(request):
    offered = [HTML, TURTLE, JSONLD, JSON]
    wanted = preferred_type(request, offered)
    if wanted is None:
        return unknown_format(request, offered)
    if wanted == TURTLE:
        response = HttpResponse(vocabulary_turtle(), content_type="text/turtle; charset=utf-8")
    elif wanted in (JSONLD, JSON):
        response = JsonResponse(
            vocabulary_jsonld(), content_type=JSONLD, json_dumps_params={"ensure_ascii": False, "indent": 1}
        )
    else:
        context = {"terms": TERMS, "document": terms_document_iri()}
        response = render(request, "claims/terms.html", context)
    return varying(response)
