"""What a search box entry means, the same on SQLite (FTS5) and PostgreSQL (tsvector).

A query is read once, here, into groups of terms: plain words must all match (AND), ``OR``
(any case) separates alternatives, ``"quoted words"`` must occur next to each other in that
order, and a hyphenated word is such a phrase too (``miR-155``, ``P-glycoprotein``). AND binds
tighter than OR, as in PostgreSQL's ``websearch_to_tsquery``: ``a OR b c`` is ``a OR (b AND c)``.
A leading minus is not an operator (``-x`` is the word ``x``).

Each database then gets the same terms in its own syntax (``fts5_match``, ``websearch_text``),
each term a quoted phrase of its words, so nothing typed is read as either's query syntax. Both
split text into runs of letters and digits (PostgreSQL's vectors are built with the punctuation
its parser reads otherwise made spaces: ``PG_SEPARATORS``) and stem them with their English
stemmer (FTS5's porter tokenizer, PostgreSQL's ``english`` configuration), which agree on the
words of this corpus (tests/test_search_parity.py). PostgreSQL's English stop words are dropped
from queries on both, so ``the resistance`` means ``resistance`` everywhere and a query of stop
words only finds nothing. Left different: inside a quoted phrase a stop word must be there, as
written, on SQLite, while PostgreSQL takes any word in its place ("resistance of cells").

``highlighted`` and ``snippet`` mark the query's words in a claim's text for display: the text
is escaped first and only ``<mark>`` tags are added, so no markup in a claim reaches a page.
"""

import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import islice

from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 20
# The words of a text as both databases' tokenizers split it: runs of letters and digits.
_PART = re.compile(r"[^\W_]+")
_QUOTED_OR_WORD = re.compile(r'"([^"]*)"?|([^\s"]+)')
# What PostgreSQL's parser would read into file names, URLs, hosts, e-mail addresses, signed or
# decimal numbers, hyphenated compounds and XML tags, where FTS5 sees separate words: the tsvectors
# are built with these made spaces (migration 0006 copies the list).
PG_SEPARATORS = "/-.@:_+<>&"
# PostgreSQL's English stop-word list (share/tsearch_data/english.stop), which its english
# configuration drops from documents and queries; FTS5 keeps them, so the parser drops them.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such no nor not only own same so than too very s
    t can will just don should now""".split()
)


@dataclass(frozen=True)
class Term:
    """One word or phrase of a query: ``text`` as typed (casefolded), ``parts`` its words."""

    text: str
    parts: tuple[str, ...]

    @property
    def stems(self) -> set[str]:
        return {porter_stem(part) for part in self.parts}


def parse_query(query: str | None) -> list[list[Term]]:
    """[[Term]]: the groups of a query, any of which may match; every term of a group must."""
    groups: list[list[Term]] = []
    current: list[Term] = []
    count = 0
    for match in _QUOTED_OR_WORD.finditer(query or ""):
        quoted, word = match.groups()
        if word is not None and word.casefold() == "or":
            groups.append(current)
            current = []
            continue
        text = (quoted if quoted is not None else word).casefold().strip()
        parts = tuple(_PART.findall(text))
        if not parts or all(part in STOP_WORDS for part in parts) or count == MAX_TERMS:
            continue
        current.append(Term(text=" ".join(text.split()), parts=parts))
        count += 1
    groups.append(current)
    return [group for group in groups if group]


def query_terms(groups: Iterable[Iterable[Term]]) -> list[Term]:
    """Every term of the groups, once each, in order."""
    return list(dict.fromkeys(term for group in groups for term in group))


def fts5_match(terms: Iterable[Term], column: str) -> str:
    """An FTS5 MATCH expression requiring every term in ``column`` (each a quoted phrase, so no
    word of the query is read as FTS5 syntax)."""
    phrases = " AND ".join('"' + " ".join(term.parts) + '"' for term in terms)
    return f"{{{column}}} : ({phrases})"


def websearch_text(terms: Iterable[Term]) -> str:
    """The same terms for PostgreSQL's ``websearch_to_tsquery``, each a quoted phrase of its words.

    PostgreSQL's parser reads some punctuation into tokens ("exosome/vesicle" is one file name,
    "-155" a signed number); the tsvectors are built from text with that punctuation made spaces
    (``PG_SEPARATORS``, migration 0006), so both databases split a text into the same words.
    """
    return " ".join('"' + " ".join(term.parts) + '"' for term in terms)


def highlighted(text: str | None, groups: Sequence[Sequence[Term]]) -> SafeString:
    """``text`` escaped, with each word whose stem is one of the query's in ``<mark>``."""
    return mark_safe(_marked(text, _stems(groups))[0])


def snippet(statement: str, quote: str, groups: Sequence[Sequence[Term]]) -> str:
    """Where the query matches a claim, as safe HTML: its statement when a query word is in it,
    else the stretch of its quote around the first matching word, else the statement (the claim
    then matched through an entity's name)."""
    stems = _stems(groups)
    body, found = _marked(statement, stems)
    return body if found else (_quote_window(quote, stems) or body)


def quote_snippet(statement: str, quote: str, groups: Sequence[Sequence[Term]], *, words: int = 30) -> str:
    """The stretch of ``quote`` (``words`` long) around its first word matching the query, marked,
    when the statement has none of the query's words; else an empty string."""
    stems = _stems(groups)
    if _marked(statement, stems)[1]:
        return ""
    return _quote_window(quote, stems, words=words)


def _quote_window(quote: str, stems: frozenset[str], *, words: int = 30) -> str:
    quote = quote or ""
    hit = next(_matching(quote, stems), None)
    if hit is None:
        return ""
    # The window's words in one pass that stops after them: up to a third of them before the
    # hit's word (which starts a word), the rest from it, and one more to tell whether any follows.
    tokens = _PART.finditer(quote)
    before: deque[re.Match[str]] = deque(maxlen=words // 3)
    dropped = False  # a word before the window's first
    for token in tokens:
        if token.start() >= hit[0]:
            break
        dropped = dropped or len(before) == before.maxlen
        before.append(token)
    window = [*before, token, *islice(tokens, words - len(before))]
    start = window[0].start() if dropped else 0
    end = window[words - 1].end() if len(window) > words else len(quote)
    body, _ = _marked(quote[start:end], stems)
    return mark_safe(("…" if start else "") + body + ("…" if end < len(quote) else ""))


def _stems(groups: Iterable[Iterable[Term]]) -> frozenset[str]:
    # Frozen: it keys _candidates' cache, and a frozenset computes its hash once.
    return frozenset(stem for term in query_terms(groups) for stem in term.stems)


def _matching(text: str, stems: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Where the words of ``text`` whose stem is one of ``stems`` are, in order."""
    if not stems:
        return
    folded = text.casefold()
    if len(folded) != len(text):  # a character folded into two ("ß" -> "ss"): every word is stemmed
        for word in _PART.finditer(text):
            if porter_stem(word.group().casefold()) in stems:
                yield word.span()
        return
    # One character for one, so the words are where they are in ``text``; only those that may
    # stem to one of ``stems`` are stemmed (most words of a quote are not).
    for word in _candidates(stems).finditer(folded):
        if porter_stem(word.group()) in stems:
            yield word.span()


@lru_cache(maxsize=256)
def _candidates(stems: frozenset[str]) -> re.Pattern[str]:
    """The words of casefolded text that may have one of ``stems`` as their stem.

    Porter rewrites only a word's last letters, so a word begins with its stem less at most the
    stem's last two letters (``sensibility`` -> ``sensibl``; ``y`` -> ``i``, ``at`` -> ``ate``):
    a word that begins with none of those prefixes cannot match, and is not stemmed at all.
    """
    prefixes = sorted({stem[:-2] if len(stem) > 3 else stem[:1] for stem in stems}, key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, prefixes)) + r")[^\W_]*")


def _marked(text: str | None, stems: frozenset[str]) -> tuple[SafeString, bool]:
    text = text or ""
    pieces, position, found = [], 0, False
    for start, end in _matching(text, stems):
        pieces += [escape_text(text[position:start]), "<mark>", escape_text(text[start:end]), "</mark>"]
        position, found = end, True
    pieces.append(escape_text(text[position:]))
    return SafeString("".join(pieces)), found


# The characters html.escape replaces; most words, names, labels and links have none.
_UNSAFE = re.compile("[&<>\"']")


def escape_text(text: str) -> str:
    """``html.escape(text)``, skipping its five replacements where nothing needs them (most text):
    for snippets here and every value of the claim browser's rows (claims.templatetags.html_rows)."""
    return escape(text) if _UNSAFE.search(text) else text


# ---------------------------------------------------------------------------------------- Porter
# M. F. Porter, "An algorithm for suffix stripping" (1980), the stemmer of FTS5's porter
# tokenizer; PostgreSQL's english configuration uses its successor (Snowball English), which
# stems the words of this corpus alike. Used to mark matches in snippets, never to match.

_STEP2 = [
    ("ational", "ate"),
    ("tional", "tion"),
    ("enci", "ence"),
    ("anci", "ance"),
    ("izer", "ize"),
    ("bli", "ble"),
    ("alli", "al"),
    ("entli", "ent"),
    ("eli", "e"),
    ("ousli", "ous"),
    ("ization", "ize"),
    ("ation", "ate"),
    ("ator", "ate"),
    ("alism", "al"),
    ("iveness", "ive"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("aliti", "al"),
    ("iviti", "ive"),
    ("biliti", "ble"),
    ("logi", "log"),
]
_STEP3 = [
    ("icate", "ic"),
    ("ative", ""),
    ("alize", "al"),
    ("iciti", "ic"),
    ("ical", "ic"),
    ("ful", ""),
    ("ness", ""),
]
_STEP4 = "al ance ence er ic able ible ant ement ment ent ion ou ism ate iti ous ive ize".split()
_STEMMABLE = re.compile(r"^[a-z0-9]+$")


def _consonant(word: str, i: int) -> bool:
    if word[i] in "aeiou":
        return False
    if word[i] == "y":
        return i == 0 or not _consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """m in [C](VC){m}[V]."""
    m, previous_vowel = 0, False
    for i in range(len(stem)):
        vowel = not _consonant(stem, i)
        if previous_vowel and not vowel:
            m += 1
        previous_vowel = vowel
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    if len(word) < 3:
        return False
    i = len(word) - 1
    return (
        _consonant(word, i - 2)
        and not _consonant(word, i - 1)
        and _consonant(word, i)
        and word[i] not in "wxy"
    )


def _replace(word: str, suffixes: Iterable[tuple[str, str]], minimum: int) -> str:
    """The longest suffix of ``suffixes`` that ends ``word``, replaced when the rest measures
    more than ``minimum``."""
    for suffix, replacement in suffixes:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            return stem + replacement if _measure(stem) > minimum else word
    return word


@lru_cache(maxsize=100_000)
def porter_stem(word: str) -> str:
    """The Porter stem of a lower-case word (words of under three letters, or with other than
    a-z and digits, are returned as they are)."""
    if len(word) < 3 or not _STEMMABLE.match(word):
        return word
    # Step 1a
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    # Step 1b
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    else:
        for suffix in ("ed", "ing"):
            if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif _double_consonant(word) and word[-1] not in "lsz":
                    word = word[:-1]
                elif _measure(word) == 1 and _cvc(word):
                    word += "e"
                break
    # Step 1c
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    # Steps 2 and 3 (longest suffix first within each list)
    word = _replace(word, sorted(_STEP2, key=lambda pair: -len(pair[0])), 0)
    word = _replace(word, sorted(_STEP3, key=lambda pair: -len(pair[0])), 0)
    # Step 4
    for suffix in sorted(_STEP4, key=len, reverse=True):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
                word = stem
            break
    # Step 5
    if word.endswith("e"):
        stem = word[:-1]
        if _measure(stem) > 1 or (_measure(stem) == 1 and not _cvc(stem)):
            word = stem
    if word.endswith("ll") and _measure(word) > 1:
        word = word[:-1]
    return word
