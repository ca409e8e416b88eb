"""Keyset (cursor) pagination: every page costs the same, however deep into 100k claims it is.

``?cursor=`` (empty) asks for the first page; each response links ``next`` and ``previous``
with an opaque cursor holding the sort values of the row at the page's edge, and the next page
is read with ``WHERE (sort key) > (those values) ... LIMIT n``: no OFFSET, no COUNT(*). The
order is the queryset's own (``?ordering=``, search rank, or the model's default) with the
public id appended, so the sort key is unique and no row is skipped or repeated.
"""

import binascii
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from claims.api.pagination import PageNumberPagination, page_size_from
from claims.facets import CachedCountIdPaginator, CachedCountPaginator
from claims.request_hygiene import has_forbidden_character

TIE_BREAKER = "public_id"

# The sort key: [(path, descending), …].
type Keys = list[tuple[str, bool]]


def _sort_key(queryset: QuerySet[Any]) -> Keys:
    """[(path, descending), …] the queryset is ordered by, ending in a unique field."""
    ordering = list(queryset.query.order_by) or (
        list(queryset.model._meta.ordering) if queryset.query.default_ordering else []
    )
    keys: Keys = []
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            raise TypeError(f"keyset pagination needs ordering by field names, not {item!r}")
        path = item.lstrip("-")
        keys.append((queryset.model._meta.pk.name if path == "pk" else path, item.startswith("-")))
        if keys[-1][0] in (TIE_BREAKER, queryset.model._meta.pk.name):
            return keys
    return [*keys, (TIE_BREAKER, False)]


def _output_field(queryset: QuerySet[Any], path: str) -> Any:
    if path in queryset.query.annotations:
        return queryset.query.annotations[path].output_field
    model: Any = queryset.model
    field = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model or model
    return field


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _after(keys: Keys, values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order ``keys``: (a > x) or (a = x and b > y) or …"""
    condition = Q(pk__in=[])
    for index, (path, descending) in enumerate(keys):
        step = Q(**{p: v for (p, _), v in zip(keys[:index], values[:index], strict=True)})
        step &= Q(**{f"{path}__{'lt' if descending else 'gt'}": values[index]})
        condition |= step
    return condition


class KeysetPagination(BasePagination):
    """``?cursor=…&page_size=N``; the response has ``next``, ``previous`` and ``results`` (no count)."""

    cursor_query_param = "cursor"
    page_size = PageNumberPagination.page_size
    page_size_query_param = PageNumberPagination.page_size_query_param
    max_page_size = PageNumberPagination.max_page_size

    def get_page_size(self, request: Request) -> int:
        return page_size_from(
            request, parameter=self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def _decode(self, raw: str, keys: Keys, queryset: QuerySet[Any]) -> tuple[list[Any], bool]:
        """(values, backwards) from a cursor, or a 400 saying why it cannot be used."""
        signature = [f"{'-' if d else ''}{p}" for p, d in keys]
        try:
            data = json.loads(urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
            values, backwards, order = data["v"], bool(data["b"]), data["o"]
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            raise ValidationError({self.cursor_query_param: ["Not a cursor this API gave out."]}) from None
        if order != signature or not isinstance(values, list) or len(values) != len(keys):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "This cursor belongs to another sort order; start again with cursor=."
                    ]
                }
            )
        if any(isinstance(value, str) and has_forbidden_character(value) for value in values):
            raise ValidationError({self.cursor_query_param: ["Not a cursor this API gave out."]})
        try:
            values = [
                _output_field(queryset, path).to_python(value)
                for (path, _), value in zip(keys, values, strict=True)
            ]
        except (DjangoValidationError, TypeError, ValueError):
            raise ValidationError(
                {self.cursor_query_param: ["The cursor holds an impossible value."]}
            ) from None
        if any(value is None for value in values):
            raise ValidationError({self.cursor_query_param: ["The cursor holds an impossible value."]})
        return values, backwards

    def _cursor(self, row: Any, keys: Keys, backwards: bool) -> str:
        values = [_encode(getattr(row, f"_keyset_{index}")) for index in range(len(keys))]
        data = {"o": [f"{'-' if d else ''}{p}" for p, d in keys], "v": values, "b": int(backwards)}
        token = urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.base_url = request, request.build_absolute_uri()
        size, keys = self.get_page_size(request), _sort_key(queryset)
        raw = request.query_params.get(self.cursor_query_param, "")
        values, backwards = self._decode(raw, keys, queryset) if raw else (None, False)
        walk = [(path, descending != backwards) for path, descending in keys]
        queryset = queryset.annotate(**{f"_keyset_{i}": F(path) for i, (path, _) in enumerate(keys)})
        if values is not None:
            queryset = queryset.filter(_after(walk, values))
        rows = list(queryset.order_by(*[f"{'-' if d else ''}{p}" for p, d in walk])[: size + 1])
        more, rows = len(rows) > size, rows[:size]
        if backwards:
            rows.reverse()
        self.next_url = self._cursor(rows[-1], keys, False) if rows and (more or backwards) else None
        self.previous_url = (
            self._cursor(rows[0], keys, True) if rows and (more if backwards else raw) else None
        )
        if not rows and raw:
            # Past the end (the rows after the cursor were deleted): offer the way back.
            self.previous_url = remove_query_param(self.base_url, self.cursor_query_param)
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.next_url, "previous": self.previous_url, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Keyset paging: empty for the first page, then the value from next/previous.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


class PageOrCursorPagination(PageNumberPagination):
    """Page numbers by default (with a count); keyset paging as soon as ``?cursor=`` is given.

    The count is the claim browser's (claims.facets.CachedCountPaginator): counted once per
    filter and data version, so paging through a large result does not recount it every page.
    """

    django_paginator_class = CachedCountPaginator

    def query_parameters(self) -> list[str]:
        return [*super().query_parameters(), KeysetPagination.cursor_query_param]

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset = (
            KeysetPagination() if KeysetPagination.cursor_query_param in request.query_params else None
        )
        if self.keyset is not None:
            return self.keyset.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def holding_ids(self) -> None:
        """Page-numbered pages of claim ids instead of claims, for a response the database
        writes (claims.api.page_json); keyset pages still hold claims."""
        self.django_paginator_class = CachedCountIdPaginator

    def get_paginated_response(self, data: Any) -> Response:
        if self.keyset is not None:
            return self.keyset.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["properties"]["count"]["description"] = "Absent when paging with cursor=."
        return response

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        page = super().get_schema_operation_parameters(view)
        for parameter in page:  # the server refuses 0 and below (a 400); larger sizes are capped
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return page + KeysetPagination().get_schema_operation_parameters(view)[:1]
