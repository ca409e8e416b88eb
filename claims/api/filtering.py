"""The API's filter backend (django-filter with the shared FilterSets of claims.filters), and the
rule that a list endpoint refuses query parameters it does not take.

An ignored parameter looks like an answer: ``?drugs=cisplatin`` or ``?year=2019`` on
/api/claims/ used to return every claim. A list endpoint takes its FilterSet's parameters, its
paginator's, ``format`` and any a view names in ``query_parameters``; anything else is a 400
naming the parameter and listing the accepted ones. A malformed page number or size is a 400 as
well, downloads of the whole set included.
"""

import difflib
from collections import OrderedDict

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

_CHECKED = "_exoclaims_parameters_checked"


def accepted_parameters(view):
    """The query parameter names ``view`` reads, sorted."""
    names = set(getattr(view, "query_parameters", ()))
    if api_settings.URL_FORMAT_OVERRIDE:
        names.add(api_settings.URL_FORMAT_OVERRIDE)
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        names.update(filterset_class.base_filters)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names.update(paginator.query_parameters() if hasattr(paginator, "query_parameters") else [])
    return sorted(names)


def refuse_bad_parameters(request, view):
    """A 400 for each query parameter ``view`` does not take, then for a malformed value of its
    paginator's (checked once per request, before a download, which pages nothing, as before a
    page)."""
    if getattr(request, _CHECKED, False):
        return
    setattr(request, _CHECKED, True)
    accepted = accepted_parameters(view)
    unknown = sorted(set(request.query_params) - set(accepted))
    if not unknown:
        check_paging = getattr(getattr(view, "paginator", None), "check_parameters", None)
        if check_paging is not None:
            check_paging(request)
        return
    listing = ", ".join(accepted)
    errors = {}
    for name in unknown:
        close = difflib.get_close_matches(name, accepted, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        errors[name[:100]] = [
            f"'{name[:40]}' is not a parameter of this endpoint.{hint} It takes: {listing}."
        ]
    raise ValidationError(errors)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing unknown parameters, with a 400 built from the form's own
    (already formatted) messages.

    django-filter's translation re-applies ``message % params`` and breaks on a message that
    quotes a value containing '%' (drug=100%).
    """

    def get_filterset(self, request, queryset, view):
        """The view's FilterSet holding only the filters the request gives a value for.

        A FilterSet deep-copies every filter and its form every form field on each request (18
        filters, their choices and widgets, for /api/claims/: a sixth of a page of 50 claims);
        a filter without a value filters nothing, so only those given are built. Every
        parameter is a filter's own name (refuse_bad_parameters accepts no other), and
        the HTML pages, which render the whole form, build theirs in full.
        """
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        filterset = filterset_class.__new__(filterset_class)
        # An instance attribute: BaseFilterSet.__init__ copies self.base_filters into self.filters.
        filterset.base_filters = OrderedDict(
            (name, given)
            for name, given in filterset_class.base_filters.items()
            if name in request.query_params
        )
        filterset_class.__init__(filterset, **self.get_filterset_kwargs(request, queryset, view))
        return filterset

    def filter_queryset(self, request, queryset, view):
        refuse_bad_parameters(request, view)
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
        return filterset.qs
