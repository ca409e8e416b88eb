"""Search results in the claim list: the query's words marked in a claim's statement, or the
stretch of its quote that matched (claims.search; the text is escaped, only <mark> is added)."""

from django import template

from claims.search import highlighted, parse_query, quote_snippet

register = template.Library()


@register.simple_tag
def highlight(text, query):
    """``text`` escaped, each word matching the search ``query`` in <mark>."""
    return highlighted(text, parse_query(query))


@register.simple_tag
def matched_quote(claim, query):
    """The marked stretch of the claim's quote the search matched, when its statement holds none of
    the query's words; else an empty string."""
    return quote_snippet(claim.statement, claim.quote, parse_query(query))
