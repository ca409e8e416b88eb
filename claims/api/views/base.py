"""What every API view shares: problems for errors whatever the format asked for, lookups that say
what is missing."""

from typing import Any

from django.db.models import Model
from django.template.response import SimpleTemplateResponse
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api.errors import problem_response


class JSONErrorsMixin(APIView):
    """Errors are problems (claims.api.errors), JSON even on ?format=csv or ?format=bibtex.

    Raised errors already are (the exception handler answers with one); an error a view returns,
    such as the BibTeX import's 409 with its new report, becomes one here, its members kept as
    the problem's extension members.
    """

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if isinstance(response, Response) and response.status_code >= 400 and isinstance(response.data, dict):
            headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
            response = problem_response(
                response.status_code,
                str(response.data.get("detail", "")),
                extensions=response.data,
                headers=headers,
            )
        return super().finalize_response(request, response, *args, **kwargs)


class FreedOnceRenderedMixin(APIView):
    """Once a response is rendered, the view, its request and what they hold (a page of claims with
    every relation: some 2,000 objects) are freed by reference counting, not by the cycle collector.

    DRF links them in cycles: the request's ``parser_context`` and the response's
    ``renderer_context`` name the view, which holds the request, the response, the paginator with
    its page, and (a viewset) its own bound methods. Nothing freed them but a collection of the
    youngest generation, which ran every twenty-odd API requests and then had to walk all that had
    piled up: one request in twenty took twice the usual time (p95 at 2.4 times p50; issue 16).
    The rendered bytes are all that is needed after rendering, so the two contexts and the view's
    attributes are dropped then. ``response.data`` stays.
    """

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse):
            response.add_post_render_callback(_drop_contexts)
        return response


def _drop_contexts(response: Any) -> None:
    context = getattr(response, "renderer_context", None) or {}
    if (request := context.get("request")) is not None:
        request.parser_context = None
    if (view := context.get("view")) is not None:
        # A viewset also holds its own bound methods (``self.get = self.list``): a cycle of its own.
        vars(view).clear()
    response.renderer_context = None


class NamedLookupMixin[M: Model](GenericAPIView[M]):
    """get_object by the natural key in the URL, without applying the list filters to it."""

    lookup_noun = "object"  # "claim", "drug": says what was not found

    def get_object(self) -> M:
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        instance = self.get_queryset().filter(**{self.lookup_field: value}).first()
        if instance is None:
            raise NotFound(f"No {self.lookup_noun} has the {self.lookup_label} '{value}'.")
        self.check_object_permissions(self.request, instance)
        return instance

    @property
    def lookup_label(self) -> str:
        return {"public_id": "id", "number": "number", "key": "key"}.get(self.lookup_field, self.lookup_field)
