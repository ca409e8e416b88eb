from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N&page_size=M; page_size above the maximum is capped, not an error."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_size_query_description = (
        f"Results per page (default {page_size}; asks above {max_page_size} get {max_page_size})."
    )
