"""The entity names nearest to a search's misspelled words ("doxorubicn" → doxorubicin, a drug).

Asked only when a search finds nothing: every word of the query that names no entity is compared
(difflib) with every name, slug, alias and recorded misprint of the searched entities (one query
per kind), and the closest entities are offered by their names.
"""

import difflib
from dataclasses import dataclass

from claims.models.claim import SEARCHED_ENTITIES
from claims.models.entities import LOOKUP_SEPARATOR
from claims.search import parse_query, query_terms

# How alike a word and a name must be (difflib's ratio: 2 × matching characters / both lengths).
CUTOFF = 0.8
# Words shorter than this are too short to guess from ("mir" is close to many names).
MIN_LENGTH = 4
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class NearName:
    word: str  # the word of the query it would replace, as parsed (casefolded)
    name: str  # the entity's name
    noun: str  # what kind of entity it is ("drug", "cell line")


def _spellings():
    """{spelling: [(name, noun), …]} over every searched entity, casefolded."""
    found = {}
    for model in SEARCHED_ENTITIES.values():
        noun = str(model._meta.verbose_name)
        for name, terms in model.objects.values_list("name", "lookup_terms"):
            for term in filter(None, terms.split(LOOKUP_SEPARATOR)):
                found.setdefault(term, []).append((name, noun))
    return found


def nearest_names(query):
    """The entities whose names are nearest to the words of ``query`` that name none, closest first."""
    words = [term.text for term in query_terms(parse_query(query)) if len(term.text) >= MIN_LENGTH]
    if not words:
        return []
    spellings = _spellings()
    scored = []
    for word in words:
        if word in spellings:  # it names an entity already: the search failed for another reason
            continue
        for spelling in difflib.get_close_matches(word, spellings, n=MAX_SUGGESTIONS, cutoff=CUTOFF):
            ratio = difflib.SequenceMatcher(None, word, spelling).ratio()
            scored += [(-ratio, name.casefold(), word, name, noun) for name, noun in spellings[spelling]]
    near, seen = [], set()
    for _, _, word, name, noun in sorted(scored):
        if (name, noun) not in seen:
            seen.add((name, noun))
            near.append(NearName(word, name, noun))
    return near[:MAX_SUGGESTIONS]
