from claims.models.citation import Citation
from claims.models.claim import Claim, ClaimCellLine
from claims.models.curation import Flag, StatusChange
from claims.models.entities import Cargo, CellLine, Drug, Mechanism
from claims.models.source import Section, Source

__all__ = [
    "Cargo", "CellLine", "Citation", "Claim", "ClaimCellLine", "Drug", "Flag", "Mechanism",
    "Section", "Source", "StatusChange",
]  # fmt: skip
