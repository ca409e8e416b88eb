"""Page-number paging whose parameters are checked: a malformed one is a 400 naming it.

DRF's own class quietly turns ``page_size=0`` or ``page_size=abc`` into the default size and
answers ``page=abc`` with 404, so a client's typo looked like data. The page's order is the
queryset's, which always ends in a unique key (claims.filters.TIE_BREAKER, the models'
orderings), so pages neither skip nor repeat rows.
"""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from claims.api.filtering import refuse_bad_parameters

# Longer digit strings are no page anyone has; int() of thousands of digits is itself refused.
_MAX_DIGITS = 9


def positive_int(raw):
    """``raw`` as a whole number of 1 or more, or None (ASCII digits only: int() takes '²' and '١')."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_DIGITS or int(raw) < 1:
        return None
    return int(raw)


def page_size_from(request, *, parameter, default, maximum):
    """The page size asked for: absent or empty gives ``default``, above ``maximum`` gives ``maximum``."""
    raw = request.query_params.get(parameter)
    if raw in (None, ""):
        return default
    size = positive_int(raw)
    if size is None:
        raise ValidationError(
            {parameter: [f"'{raw[:40]}' is not a page size: give a whole number from 1 to {maximum}."]}
        )
    return min(size, maximum)


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N&page_size=M; page_size above the maximum is capped, not an error."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_size_query_description = (
        f"Results per page (default {page_size}; asks above {max_page_size} get {max_page_size})."
    )
    page_query_description = "A page number from 1 (or 'last'); past the last page is a 404."

    def query_parameters(self):
        """The parameters this paginator reads (claims.api.filtering accepts them)."""
        return [self.page_query_param, self.page_size_query_param]

    def get_schema_operation_parameters(self, view):
        """DRF's parameters with the lower bound the server keeps (0 and below are a 400). No
        maximum for page_size: larger asks are capped, not refused."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters

    def get_page_size(self, request):
        return page_size_from(
            request, parameter=self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def check_parameters(self, request):
        """A 400 for a malformed page number or page size. Also asked where the response is not
        paged (a download of the whole set, claims.api.filtering.refuse_bad_parameters):
        ``page=-3`` is a mistake there too, and the schema refuses it everywhere."""
        self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "")
        if raw and raw not in self.last_page_strings and positive_int(raw) is None:
            raise ValidationError(
                {self.page_query_param: [f"'{raw[:40]}' is not a page number: give a whole number from 1."]}
            )

    def paginate_queryset(self, queryset, request, view=None):
        if view is not None:
            refuse_bad_parameters(request, view)  # this paginator's values included
        else:
            self.check_parameters(request)
        return super().paginate_queryset(queryset, request, view)
