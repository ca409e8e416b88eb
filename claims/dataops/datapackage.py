"""A release as a Frictionless Data Package (datapackage.json): its files, the CSV's schema, licences.

Tools that read data packages (frictionless, Data Curator, the CKAN and Zenodo integrations) then
know each file's format and checksum, the type of every CSV column and under which licence the
data may be reused, without reading our documentation first.
"""

from collections.abc import Iterable
from typing import Any

from claims import vocabulary as v
from claims.exports import CSV_COLUMNS, LIST_SEPARATOR

CC_BY = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
LICENCE_TEXT = """\
# Licences

The curated data in this release (the claims' statements, their classification, the links between
claims, cited works and entities, the citation checks and the changelog) is published by the
ExoClaims curators under the Creative Commons Attribution 4.0 International licence (CC BY 4.0):
{cc_by}

Each claim's `quote` is a verbatim extract of the source review, reproduced under the review's own
licence; cite the review when you reuse them:

{sources}
"""

_LIST = f"A list joined with '{LIST_SEPARATOR}'."
_ALIGNED = f"One value per cited work, in the order of `citations`, joined with '{LIST_SEPARATOR}' (empty where unknown)."
# What each column of claims.csv holds (claims.exports writes it); the values of closed lists.
FIELDS = {
    "id": ("The claim's public identifier.", {"required": True, "unique": True}),
    "url": ("The claim's page.", {}),
    "statement": ("The claim restated by a curator.", {"required": True}),
    "quote": ("The review's words the claim rests on, verbatim.", {"required": True}),
    "section": ("The review's section holding the quote.", {}),
    "quote_start": ("Where the quote starts in the review's text (a character offset).", {}),
    "quote_end": ("Where the quote ends in the review's text (a character offset, exclusive).", {}),
    "citations": ("The keys of the works the review cites for the claim. " + _LIST, {}),
    "citation_dois": ("The cited works' DOIs. " + _ALIGNED, {}),
    "citation_pmids": ("The cited works' PubMed ids. " + _ALIGNED, {}),
    "citation_pmcids": ("The cited works' PubMed Central ids. " + _ALIGNED, {}),
    "citation_resolutions": ("Whether each cited work was found. " + _ALIGNED, {}),
    "citation_supports": ("Whether each cited work supports the claim. " + _ALIGNED, {}),
    "drugs": ("The drugs' slugs. " + _LIST, {}),
    "cargo": ("The exosomal cargo's slugs. " + _LIST, {}),
    "cargo_types": ("The kinds of cargo. " + _LIST, {}),
    "cargo_intervention": ("What was done to the cargo.", {"enum": [*v.CargoIntervention.values, ""]}),
    "targets": ("What the cargo acts on (slugs). " + _LIST, {}),
    "cell_lines": ("The cell lines' slugs, each with its role in brackets. " + _LIST, {}),
    "exosome_source": ("Where the exosomes came from.", {}),
    "mechanism": ("The resistance mechanism's slug.", {}),
    "therapy_class": ("The kind of therapy.", {"required": True, "enum": v.TherapyClass.values}),
    "direction": ("What the exosomes do to resistance.", {"required": True, "enum": v.Direction.values}),
    "model": ("Where the finding was made.", {"enum": v.ModelSystem.values}),
    "status": ("The claim's curation status.", {"required": True, "enum": v.CurationStatus.values}),
    "citation_support": ("One verdict over the cited works.", {"enum": v.CitationSupport.values}),
    "notes": ("The curators' notes.", {}),
    "created": ("When the claim was recorded.", {}),
    "updated": ("When the claim last changed.", {}),
}
TYPES = {"quote_start": "integer", "quote_end": "integer", "created": "datetime", "updated": "datetime"}
# (file name, title, format, media type, whether it is the tabular resource)
RESOURCES = [
    ("claims.csv", "Claims (CSV, one row a claim)", "csv", "text/csv", True),
    ("claims.json", "Claims (JSON, lists as arrays)", "json", "application/json", False),
    ("citations.bib", "The cited works (BibTeX)", "bib", "application/x-bibtex", False),
    (
        "citations.csl.json",
        "The cited works (CSL-JSON)",
        "json",
        "application/vnd.citationstyles.csl+json",
        False,
    ),
    ("CHANGELOG.md", "Changes since the previous release", "md", "text/markdown", False),
    ("LICENSE.md", "The licences of the data and of the quotes", "md", "text/markdown", False),
]
MEDIA_TYPES = {name: media_type for name, _title, _format, media_type, _tabular in RESOURCES} | {
    "manifest.json": "application/json",
    "datapackage.json": "application/json",
    "SHA256SUMS": "text/plain",
}


def _schema() -> dict[str, Any]:
    fields = []
    for name in CSV_COLUMNS:
        description, constraints = FIELDS[name]
        field: dict[str, Any] = {"name": name, "type": TYPES.get(name, "string"), "description": description}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


def licence_text(sources: Iterable[tuple[str, str, str]]) -> str:
    listed = "\n".join(f"- {citation}: {licence} {url}".rstrip() for citation, licence, url in sources)
    return LICENCE_TEXT.format(cc_by=CC_BY["path"], sources=listed)


def datapackage(
    *,
    version: str,
    date: str,
    description: str,
    sources: Iterable[tuple[str, str]],
    checksums: dict[str, dict[str, Any]],
    homepage: str = "",
) -> dict[str, Any]:
    """The descriptor of a release; ``checksums`` is {file name: {"sha256", "bytes"}}."""
    resources = []
    for name, title, file_format, media_type, tabular in RESOURCES:
        resource: dict[str, Any] = {
            "name": name.lower().replace(".", "-"),
            "path": name,
            "title": title,
            "format": file_format,
            "mediatype": media_type,
            "encoding": "utf-8",
            "bytes": checksums[name]["bytes"],
            "hash": f"sha256:{checksums[name]['sha256']}",
        }
        if tabular:
            resource |= {
                "profile": "tabular-data-resource",
                "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
                "schema": _schema(),
            }
        resources.append(resource)
    descriptor: dict[str, Any] = {
        "profile": "data-package",
        "name": "exoclaims",
        "title": f"ExoClaims data release {version}",
        "version": version,
        "created": f"{date}T00:00:00Z",
        "description": description,
        "licenses": [CC_BY],
        "sources": [{"title": citation, "path": url} for citation, url in sources],
        "resources": resources,
    }
    if homepage:
        descriptor["homepage"] = homepage
    return descriptor
