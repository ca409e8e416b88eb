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
