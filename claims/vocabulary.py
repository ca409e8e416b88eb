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
    NOT_CHECKED = "not_checked", "Not checked"
    SUPPORTED = "supported", "Supported"
    PARTLY = "partly", "Partly supported"
    NOT_SUPPORTED = "not_supported", "Not supported"


class FlagKind(models.TextChoices):
    REVIEW_ERROR = "review_error", "Error in the review"
    WRONG_ENTITY = "wrong_entity", "Wrong drug, cargo or cell line"
    MISQUOTE = "misquote", "Misquote"
    UNSUPPORTED = "unsupported", "Citation does not support it"
    DUPLICATE = "duplicate", "Duplicate claim"
    OTHER = "other", "Other"


class EntryType(models.TextChoices):
    ARTICLE = "article", "Journal article"
    BOOK = "book", "Book"
    INCOLLECTION = "incollection", "Book chapter"
    INPROCEEDINGS = "inproceedings", "Conference paper"
    MISC = "misc", "Other"
    UNKNOWN = "", "Unknown (stub)"
