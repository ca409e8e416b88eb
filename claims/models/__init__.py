from claims.models.citation import Citation
from claims.models.citation_check import CitationCheck
from claims.models.claim import Claim, ClaimCellLine
from claims.models.curation import Flag, StatusChange
from claims.models.entities import Cargo, CellLine, Drug, Mechanism, Target
from claims.models.reliability import Counter, IdempotencyKey
from claims.models.source import Section, Source

__all__ = [
    "Cargo",
    "CellLine",
    "Citation",
    "CitationCheck",
    "Claim",
    "ClaimCellLine",
    "Counter",
    "Drug",
    "Flag",
    "IdempotencyKey",
    "Mechanism",
    "Section",
    "Source",
    "StatusChange",
    "Target",
]
