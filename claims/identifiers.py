"""The forms of identifiers, one definition for the fixtures reader, the API and the forms."""

import re

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CITATION_KEY = re.compile(r"^[a-z]+\d{4}[a-z]?$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PMID = re.compile(r"^[1-9]\d{0,8}$")
PMCID = re.compile(r"^PMC\d+$")
# What a citation check names as the record it read: an identifier, or the record's address.
RECORD = re.compile(r"^(PMID:[1-9]\d{0,8}|DOI:10\.\d{4,9}/\S+|https?://\S+)$")
URL = re.compile(r"^https?://\S+$")

# External identifiers as resolvable IRIs (identifiers.org and OBO PURLs), the forms linked data
# uses for the same thing, rather than the addresses of the registries' HTML pages (which change).
DOI_IRI = "https://doi.org/"
PUBMED_IRI = "https://identifiers.org/pubmed:"
PMC_IRI = "https://identifiers.org/pmc:"
_OBO = "http://purl.obolibrary.org/obo/"
_IDENTIFIERS_ORG = "https://identifiers.org/"


def identifier_iri(registry, accession):
    """The IRI of ``accession`` in ``registry`` (a label of an entity's IDENTIFIERS); None if unknown."""
    accession = str(accession).strip()
    match registry:
        case "ChEBI":  # CHEBI:28748 → obo/CHEBI_28748
            return f"{_OBO}CHEBI_{accession.removeprefix('CHEBI:')}"
        case "NCIt":
            return f"{_OBO}NCIT_{accession.removeprefix('NCIT:')}"
        case "HGNC":  # HGNC:40 → hgnc:40
            return f"{_IDENTIFIERS_ORG}hgnc:{accession.removeprefix('HGNC:')}"
        case "miRBase":  # mature miRNAs (MIMAT…) and stem-loops (MI…) are two namespaces
            namespace = "mirbase.mature" if accession.startswith("MIMAT") else "mirbase"
            return f"{_IDENTIFIERS_ORG}{namespace}:{accession}"
        case "DrugBank" | "UniProt" | "Cellosaurus":
            return f"{_IDENTIFIERS_ORG}{registry.lower()}:{accession}"
    return None
