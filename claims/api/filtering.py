"""The API's filter backend: django-filter, with the shared FilterSets of claims.filters."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with a 400 built from the form's own (already formatted) messages.

    django-filter's translation re-applies ``message % params`` and breaks on a message that
    quotes a value containing '%' (drug=100%).
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
        return filterset.qs
