"""Canonical IRIs and the ``exo:`` vocabulary, shared by the JSON-LD exports and the /terms page.

IRIs are built on settings.EXOCLAIMS_BASE_URL, never on the host a request came through: a claim
fetched as http://localhost/… and as https://exoclaims.example.org/… must be one resource, or
graphs merged from both never meet. The vocabulary is served at its own IRI (/terms), so every
``exo:`` term in an export dereferences to its definition.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, reverse

from claims import vocabulary as v

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
DCT = "http://purl.org/dc/terms/"


def canonical_iri(path):
    """``path`` (as reverse() or get_absolute_url() gives it) on the configured base address."""
    # The base names the site's root, which is where the script prefix points when there is one.
    return settings.EXOCLAIMS_BASE_URL + "/" + path.removeprefix(get_script_prefix()).lstrip("/")


def terms_document_iri():
    return canonical_iri(reverse("claims:terms"))


def terms_namespace():
    return terms_document_iri() + "#"


DESCRIPTION = "The terms of ExoClaims' JSON-LD records that no standard vocabulary names."


@dataclass(frozen=True)
class Term:
    name: str
    label: str
    comment: str
    kind: str = "Property"  # or "Class"
    values: tuple = ()  # the literals a property takes, when it has a closed list

    @property
    def definition(self):
        if not self.values:
            return self.comment
        return f"{self.comment} One of: {', '.join(self.values)}."


TERMS = (
    Term("Claim", "claim", "A finding the review states, with its quote and the works it cites.", "Class"),
    Term("statement", "statement", "The claim restated by a curator in one plain sentence."),
    Term(
        "therapyClass",
        "therapy class",
        "The kind of therapy the claim is about.",
        values=v.TherapyClass.values,
    ),
    Term(
        "direction",
        "direction",
        "What the exosomes do to drug resistance in this claim.",
        values=v.Direction.values,
    ),
    Term("modelSystem", "model system", "Where the finding was made.", values=v.ModelSystem.values),
    Term("drug", "drug", "A drug the claim is about."),
    Term("cargo", "cargo", "Exosomal cargo (a protein, miRNA, lncRNA, …) the claim is about."),
    Term("cargoType", "cargo type", "The kind of molecule a cargo is.", values=v.CargoType.values),
    Term(
        "cargoIntervention",
        "cargo intervention",
        "What was done to the cargo in the experiment.",
        values=v.CargoIntervention.values,
    ),
    Term("target", "target", "What the cargo acts on, or what mediates its effect (not itself carried)."),
    Term(
        "cellLine",
        "cell line",
        "A cell line in the claim, with its role (a node holding exo:role, exo:line).",
    ),
    Term("role", "role", "The part a cell line plays in the claim.", values=v.CellLineRole.values),
    Term("line", "line", "The cell line an exo:cellLine node is about."),
    Term("exosomeSource", "exosome source", "Where the exosomes came from, as the review says."),
    Term("mechanism", "mechanism", "The resistance mechanism the claim describes."),
    Term("slug", "slug", "The entity's short name in ExoClaims' URLs and API filters."),
    Term("section", "section", "The number of the review's section the quote is in."),
    Term(
        "support",
        "support",
        "Whether the cited work, as read, supports the claim.",
        values=v.CitationSupport.values,
    ),
    Term("checkLevel", "check level", "How much of the cited work was read.", values=v.CheckLevel.values),
    Term("recordChecked", "record checked", "The identifier or address of the record the check read."),
    Term(
        "curationStatus",
        "curation status",
        "Where the claim is in curation.",
        values=v.CurationStatus.values,
    ),
    Term(
        "citationSupport",
        "citation support",
        "One verdict over the claim's cited works.",
        values=v.CitationSupport.values,
    ),
    Term("version", "version", "The claim's revision number: it goes up by one on every change."),
)


def vocabulary_jsonld():
    """The vocabulary as JSON-LD (a self-contained document)."""
    document = terms_document_iri()
    namespace = document + "#"
    return {
        "@context": {"rdf": RDF, "rdfs": RDFS, "owl": OWL, "dct": DCT, "exo": namespace},
        "@graph": [
            {
                "@id": document,
                "@type": "owl:Ontology",
                "dct:title": "ExoClaims vocabulary",
                "rdfs:comment": DESCRIPTION,
            },
            *(
                {
                    "@id": f"exo:{term.name}",
                    "@type": "rdfs:Class" if term.kind == "Class" else "rdf:Property",
                    "rdfs:label": term.label,
                    "rdfs:comment": term.definition,
                    "rdfs:isDefinedBy": {"@id": document},
                }
                for term in TERMS
            ),
        ],
    }


def _turtle_string(text):
    return json.dumps(text, ensure_ascii=False)  # JSON's escapes are valid in Turtle's "…" strings


def vocabulary_turtle():
    """The vocabulary as Turtle."""
    document = terms_document_iri()
    lines = [
        f"@prefix rdf: <{RDF}> .",
        f"@prefix rdfs: <{RDFS}> .",
        f"@prefix owl: <{OWL}> .",
        f"@prefix dct: <{DCT}> .",
        f"@prefix exo: <{document}#> .",
        "",
        f"<{document}> a owl:Ontology ;",
        f"    dct:title {_turtle_string('ExoClaims vocabulary')} ;",
        f"    rdfs:comment {_turtle_string(DESCRIPTION)} .",
    ]
    for term in TERMS:
        lines += [
            "",
            f"exo:{term.name} a {'rdfs:Class' if term.kind == 'Class' else 'rdf:Property'} ;",
            f"    rdfs:label {_turtle_string(term.label)} ;",
            f"    rdfs:comment {_turtle_string(term.definition)} ;",
            f"    rdfs:isDefinedBy <{document}> .",
        ]
    return "\n".join(lines) + "\n"
