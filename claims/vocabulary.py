"""Controlled vocabularies: one definition used by models, fixtures, filters, API and admin."""

from django.db import models


class Direction(models.TextChoices):
    PROMOTES = "promotes_resistance", "Promotes resistance"
    REVERSES = "reverses_resistance", "Reverses resistance"
    BIOMARKER = "biomarker", "Biomarker"
    DELIVERY = "delivery_vehicle", "Delivery vehicle"
    BACKGROUND = "background", "Background"


# Directions that contradict each other for the same drug and cargo.
OPPOSITE_DIRECTIONS = {
    Direction.PROMOTES: Direction.REVERSES,
    Direction.REVERSES: Direction.PROMOTES,
}


class ModelSystem(models.TextChoices):
    IN_VITRO = "in_vitro", "In vitro"
    IN_VIVO = "in_vivo", "In vivo"
    CLINICAL = "clinical", "Clinical"
    MIXED = "mixed", "Mixed (in vitro and in vivo)"
    NOT_STATED = "not_stated", "Not stated"


class TherapyClass(models.TextChoices):
    CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
    ENDOCRINE = "endocrine", "Endocrine therapy"
    HER2_TARGETED = "her2_targeted", "HER2-targeted therapy"
    IMMUNOTHERAPY = "immunotherapy", "Immunotherapy"
    OTHER = "other", "Other therapy"
    GENERAL = "general", "Not therapy-specific"


class CargoType(models.TextChoices):
    PROTEIN = "protein", "Protein"
    MIRNA = "mirna", "miRNA"
    LNCRNA = "lncrna", "lncRNA"
    CIRCRNA = "circrna", "circRNA"
    MRNA = "mrna", "mRNA"
    SIRNA = "sirna", "siRNA"
    SMALL_MOLECULE = "small_molecule", "Small molecule"
    OTHER = "other", "Other"


class CellLineRole(models.TextChoices):
    DONOR = "donor", "Exosome donor"
    RECIPIENT = "recipient", "Exosome recipient"
    STUDIED = "studied", "Studied"


class Species(models.TextChoices):
    HUMAN = "human", "Human"
    MOUSE = "mouse", "Mouse"
    RAT = "rat", "Rat"
    OTHER = "other", "Other"


class Subtype(models.TextChoices):
    LUMINAL_A = "luminal_a", "Luminal A (ER+/PR+, HER2−)"
    LUMINAL_B = "luminal_b", "Luminal B"
    HER2_ENRICHED = "her2", "HER2-enriched"
    TNBC = "tnbc", "Triple-negative"
    NOT_BREAST_CANCER = "non_bc", "Not a breast-cancer line"
    UNKNOWN = "unknown", "Unknown"


class CurationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class CitationSupport(models.TextChoices):
    """Does the cited paper support what the review says it does (as far as it was checked)?"""

    NOT_CHECKED = "not_checked", "Not checked"
    SUPPORTED = "supported", "Supported"
    PARTLY = "partly", "Partly supported"
    NOT_IN_ABSTRACT = "not_in_abstract", "Not in the abstract (needs the full text)"
    CONTRADICTED = "contradicted", "Contradicted"
    MISATTRIBUTED = "misattributed", "Misattributed (the paper is about something else)"
    NOT_SUPPORTED = "not_supported", "Not supported"


# Verdicts a curator must look at: each opens a flag on the claim.
FLAGGED_SUPPORT = {CitationSupport.CONTRADICTED, CitationSupport.MISATTRIBUTED}


class CheckLevel(models.TextChoices):
    """How deep a citation check went."""

    TITLE = "title", "Title only"
    ABSTRACT = "abstract", "Abstract"
    FULL_TEXT = "full_text", "Full text"


class CitationResolution(models.TextChoices):
    """Whether the in-text label was matched to one primary paper."""

    UNCHECKED = "unchecked", "Not yet searched (label only)"
    RESOLVED = "resolved", "Resolved to its paper"
    AMBIGUOUS = "ambiguous", "Ambiguous (more than one candidate)"
    UNRESOLVED = "unresolved", "Not found (see note)"


class CargoIntervention(models.TextChoices):
    """What was done to the exosomal cargo, or seen of it, in the finding."""

    RAISED = "raised", "Raised (delivered, transferred, overexpressed)"
    LOWERED = "lowered", "Lowered (knocked down, inhibited)"
    MEASURED = "measured", "Measured only (level associated with the outcome)"
    NOT_APPLICABLE = "not_applicable", "Not applicable (no cargo)"


# The sign of an intervention: a measured level is read as "more of it goes with the outcome".
INTERVENTION_SIGN = {
    CargoIntervention.RAISED: 1,
    CargoIntervention.MEASURED: 1,
    CargoIntervention.LOWERED: -1,
}
# The sign of an outcome on resistance.
DIRECTION_SIGN = {"promotes_resistance": 1, "reverses_resistance": -1}


class TargetType(models.TextChoices):
    PROTEIN = "protein", "Protein"
    GENE = "gene", "Gene"
    RNA = "rna", "RNA"
    PATHWAY = "pathway", "Pathway"
    OTHER = "other", "Other"


class FlagKind(models.TextChoices):
    REVIEW_ERROR = "review_error", "Error in the review"
    WRONG_ENTITY = "wrong_entity", "Wrong drug, cargo or cell line"
    MISQUOTE = "misquote", "Misquote"
    UNSUPPORTED = "unsupported", "Citation does not support it"
    DUPLICATE = "duplicate", "Duplicate claim"
    MISATTRIBUTED = "misattributed", "Citation misattributed or contradicts it"
    AMBIGUOUS_CITATION = "ambiguous_citation", "Ambiguous citation"
    OTHER = "other", "Other"


class EntryType(models.TextChoices):
    ARTICLE = "article", "Journal article"
    BOOK = "book", "Book"
    INCOLLECTION = "incollection", "Book chapter"
    INPROCEEDINGS = "inproceedings", "Conference paper"
    MISC = "misc", "Other"
    UNKNOWN = "", "Unknown (stub)"
