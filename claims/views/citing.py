"""How to cite a claim: plain text for people, BibTeX for reference managers.

Values are LaTeX-encoded by the same code as the BibTeX export of cited works, so any statement
round-trips through bibtex(1) and bibtexparser.
"""

import re

from claims.services.bibtex.latex import text_to_latex


def _source_reference(source):
    return (
        f"{source.authors}. {source.title}. {source.journal} {source.year}"
        f"{';' + source.volume if source.volume else ''}"
        f"{':' + source.article_number if source.article_number else ''}. doi:{source.doi}"
    )


def claim_citation_text(claim, url):
    """A citation a reader can paste into a manuscript; the version pins what they saw."""
    return (
        f"ExoClaims claim {claim.public_id} (version {claim.version}, {claim.updated:%Y-%m-%d}). "
        f"{claim.statement.strip()} Curated from: {_source_reference(claim.source)}. {url}"
    )


def claim_bibtex(claim, url):
    key = "exoclaims-" + re.sub(r"[^A-Za-z0-9]+", "", claim.public_id).lower()
    fields = [
        ("author", "{ExoClaims curators}"),
        ("title", f"{{ExoClaims}} claim {text_to_latex(claim.public_id)}: {text_to_latex(claim.statement)}"),
        ("year", str(claim.updated.year)),
        ("howpublished", rf"\url{{{url}}}"),
        ("note", text_to_latex(f"Version {claim.version}. Curated from: {_source_reference(claim.source)}")),
    ]
    lines = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{lines}\n}}"
