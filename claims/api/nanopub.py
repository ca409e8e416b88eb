"""One claim as a nanopublication-shaped JSON-LD record (?format=jsonld on a claim).

Four named graphs, as in the nanopublication schema: the head links the assertion (what the
claim says), its provenance (the quote as a W3C Web Annotation TextQuoteSelector on the
review's DOI, the cited works, the curators) and the publication info (this record's dates and
version). Every triple is in one of the four graphs, the graphs' types included (in the head).
The context is inline, so any JSON-LD processor reads it without fetching anything.

IRIs are canonical (claims.linked_data: on EXOCLAIMS_BASE_URL, whatever host the request came
through); terms without a standard vocabulary are the ``exo:`` ones defined at /terms; drugs,
cargo, targets and cell lines point to their registries' IRIs (identifiers.org, OBO) with skos:exactMatch.
"""

from claims.identifiers import DOI_IRI, PMC_IRI, PUBMED_IRI, identifier_iri
from claims.models import StatusChange


def _context(terms):
    return {
        "np": "http://www.nanopub.org/nschema#",
        "prov": "http://www.w3.org/ns/prov#",
        "oa": "http://www.w3.org/ns/oa#",
        "dct": "http://purl.org/dc/terms/",
        "cito": "http://purl.org/spar/cito/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "owl": "http://www.w3.org/2002/07/owl#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "exo": terms,
        "label": "rdfs:label",
        "created": {"@id": "dct:created", "@type": "xsd:dateTime"},
        "modified": {"@id": "dct:modified", "@type": "xsd:dateTime"},
        "start": {"@id": "oa:start", "@type": "xsd:nonNegativeInteger"},
        "end": {"@id": "oa:end", "@type": "xsd:nonNegativeInteger"},
        "version": {"@id": "exo:version", "@type": "xsd:integer"},
    }


def _entity(node_url, entity):
    node = {"@id": node_url, "label": entity.name, "exo:slug": entity.slug}
    matches = [
        {"@id": iri}
        for registry, accession, _page in entity.identifiers
        if (iri := identifier_iri(registry, accession)) is not None
    ]
    if matches:
        node["skos:exactMatch"] = matches
    return node


def paper_iris(citation):
    """The cited paper's identifiers as IRIs: DOI first (the node's @id), then PubMed and PMC."""
    iris = []
    if citation.doi:
        iris.append(DOI_IRI + citation.doi)
    if citation.pmid:
        iris.append(PUBMED_IRI + citation.pmid)
    if citation.pmcid:
        iris.append(PMC_IRI + citation.pmcid)
    return iris


def _cited_work(citation, check, links):
    """A cited paper by its DOI (else PubMed) IRI; a work not yet resolved by its API address."""
    iris = paper_iris(citation)
    record = links.iri("api:citation-detail", citation.key)
    node = {
        "@id": iris[0] if iris else record,
        "label": citation.label,
    }
    if citation.title:
        node["dct:title"] = citation.title
    if len(iris) > 1:
        node["owl:sameAs"] = [{"@id": iri} for iri in iris[1:]]
    node["rdfs:seeAlso"] = {"@id": record}
    if check is not None:
        node["exo:support"] = str(check.support)
        node["exo:checkLevel"] = str(check.level)
        if check.record:
            node["exo:recordChecked"] = check.record
    return node


def _agent(user):
    return {"@type": "prov:Person", "label": user.get_username()}


def _curators(claim):
    """Who wrote and who approved the claim; the transcription when no account did."""
    users = [claim.created_by, claim.updated_by]
    approval = (
        StatusChange.objects.filter(claim=claim, to_status="approved").select_related("changed_by").last()
    )
    if approval is not None:
        users.append(approval.changed_by)
    agents, seen = [], set()
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            agents.append(_agent(user))
    return agents or [
        {"@type": "prov:Organization", "label": "ExoClaims curators (transcription of the review)"}
    ]


def claim_nanopublication(claim, *, links):
    """The record for ``claim`` (loaded by claims.selectors, with source, created_by and updated_by)."""
    claim_iri = links.page_iri(claim)
    record = f"{claim_iri}#nanopub"
    assertion, provenance, pubinfo = f"{record}-assertion", f"{record}-provenance", f"{record}-pubinfo"
    source = claim.source

    statement = {
        "@id": claim_iri,
        "@type": "exo:Claim",
        "label": claim.public_id,
        "exo:statement": claim.statement,
        "exo:therapyClass": claim.therapy_class,
        "exo:direction": claim.direction,
        "exo:modelSystem": claim.model,
        "exo:drug": [_entity(links.iri("api:drug-detail", d.slug), d) for d in claim.loaded_drugs],
        "exo:cargo": [
            {**_entity(links.iri("api:cargo-detail", c.slug), c), "exo:cargoType": c.cargo_type}
            for c in claim.loaded_cargo
        ],
        "exo:target": [_entity(links.iri("api:target-detail", t.slug), t) for t in claim.loaded_targets],
        "exo:cellLine": [
            {
                "exo:role": link.role,
                "exo:line": _entity(links.iri("api:cell-line-detail", link.cell_line.slug), link.cell_line),
            }
            for link in claim.loaded_cell_line_links
        ],
    }
    if claim.cargo_intervention:
        statement["exo:cargoIntervention"] = claim.cargo_intervention
    if claim.exosome_source:
        statement["exo:exosomeSource"] = claim.exosome_source
    if claim.mechanism_id:
        statement["exo:mechanism"] = _entity(
            links.iri("api:mechanism-detail", claim.mechanism.slug), claim.mechanism
        )

    quote = {
        "@id": f"{claim_iri}#quote",
        "@type": "oa:SpecificResource",
        "oa:hasSource": {
            "@id": DOI_IRI + source.doi,
            "dct:title": source.title,
            "dct:license": {"@id": source.licence_url} if source.licence_url else source.licence,
        },
        "oa:hasSelector": [
            {
                "@type": "oa:TextQuoteSelector",
                "oa:exact": claim.quote,
                "oa:prefix": claim.quote_prefix,
                "oa:suffix": claim.quote_suffix,
            },
            {"@type": "oa:TextPositionSelector", "start": claim.quote_start, "end": claim.quote_end},
        ],
        "exo:section": claim.section.number,
    }
    checks = {check.citation_id: check for check in claim.loaded_citation_checks}
    evidence = [_cited_work(c, checks.get(c.pk), links) for c in claim.loaded_citations]
    return {
        "@context": _context(links.terms),
        "@graph": [
            {
                "@id": f"{record}-head",
                "@graph": [
                    {
                        "@id": record,
                        "@type": "np:Nanopublication",
                        "np:hasAssertion": {"@id": assertion},
                        "np:hasProvenance": {"@id": provenance},
                        "np:hasPublicationInfo": {"@id": pubinfo},
                    },
                    {"@id": assertion, "@type": "np:Assertion"},
                    {"@id": provenance, "@type": "np:Provenance"},
                    {"@id": pubinfo, "@type": "np:PublicationInfo"},
                ],
            },
            {"@id": assertion, "@graph": [statement]},
            {
                "@id": provenance,
                "@graph": [
                    {
                        "@id": assertion,
                        "prov:wasDerivedFrom": quote,
                        "cito:citesAsEvidence": evidence,
                        "prov:wasAttributedTo": _curators(claim),
                        "exo:curationStatus": claim.status,
                        "exo:citationSupport": claim.citation_support,
                    }
                ],
            },
            {
                "@id": pubinfo,
                "@graph": [
                    {
                        "@id": record,
                        "created": claim.created.isoformat(),
                        "modified": claim.updated.isoformat(),
                        "version": claim.version,
                        "dct:isVersionOf": {"@id": claim_iri},
                        "rdfs:seeAlso": {"@id": links.iri("api:claim-detail", claim.public_id)},
                    }
                ],
            },
        ],
    }
