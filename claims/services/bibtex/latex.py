"""LaTeX ↔ Unicode for BibTeX field values, so that export(import(x)) gives back x.

Stored values are Unicode with whitespace collapsed (BibTeX treats every run of whitespace as
one space). Export writes accents and symbols as braced LaTeX commands (``{\\"o}``), the ASCII
characters LaTeX treats specially as escapes, and keeps as UTF-8 only what has no LaTeX form
that decodes back to the same character (CJK, for instance).

Braces need care: BibTeX counts every brace, escaped or not, so ``\\{`` would unbalance an
entry for bibtex(1). Literal braces are therefore written as ``{\\textbraceleft}`` and
``{\\textbraceright}``, which the decoder below knows.
"""

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexencode import UnicodeToLatexEncoder

# Fields whose values are identifiers or addresses, not text: never LaTeX-decoded or -encoded.
VERBATIM_FIELDS = frozenset({"doi", "url", "eprint", "file", "pmid", "pmcid", "isbn", "issn"})

_ASCII_SPECIAL = {
    "\\": r"{\textbackslash}",
    "{": r"{\textbraceleft}",
    "}": r"{\textbraceright}",
    "$": r"{\$}",
    "&": r"{\&}",
    "%": r"{\%}",
    "#": r"{\#}",
    "_": r"{\_}",
    "~": r"{\textasciitilde}",
    "^": r"{\textasciicircum}",
}
# Character pairs TeX would turn into one glyph ("--" → en dash); an empty group keeps them apart.
_LIGATURES = frozenset({"--", "``", "''", "!`", "?`"})
# In a BibTeX value a bare % or & is an ordinary character, but LaTeX would read a comment or
# an alignment tab, and the decoder would drop text.
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")
# Values without these are only braces and TeX's ligatures (handled without the decoder).
_NEEDS_DECODER = re.compile(r"[\\$~%&]")
_LIGATURE_GLYPHS = {"---": "—", "--": "–", "``": "“", "''": "”", "!`": "¡", "?`": "¿"}
_LIGATURE = re.compile("|".join(re.escape(s) for s in _LIGATURE_GLYPHS))  # left to right, as TeX reads
_VERBATIM_ESCAPE = re.compile(r"\\([_%&#$])")


def _decoder() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category(
        "exoclaims-bibtex",
        prepend=True,
        macros=[
            MacroTextSpec("url", simplify_repl="%s"),
            MacroTextSpec("textbraceleft", simplify_repl="{"),
            MacroTextSpec("textbraceright", simplify_repl="}"),
            MacroTextSpec("textasciicircum", simplify_repl="^"),
        ],
    )
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="text")


DECODER = _decoder()
_ENCODER = UnicodeToLatexEncoder(
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
    unknown_char_warning=False,
    non_ascii_only=True,
)


def clean_text(text: str) -> str:
    """NFC, whitespace runs (including no-break spaces) collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def latex_to_text(value: str) -> str:
    """Decode a BibTeX text value (LaTeX) to clean Unicode: ``M{\\"u}ller`` → ``Müller``."""
    if not _NEEDS_DECODER.search(value):
        # Most values hold at most braces and dashes; the general decoder is a hundred times slower.
        return clean_text("".join(_ligatures(part) for part in re.split(r"[{}]", value)))
    return _decode(value)


def _ligatures(text: str) -> str:
    return _LIGATURE.sub(lambda match: _LIGATURE_GLYPHS[match.group()], text)


@lru_cache(maxsize=65536)
def _decode(value: str) -> str:
    return clean_text(DECODER.latex_to_text(_BARE_SPECIAL.sub(r"\\\1", value)))


def verbatim_value(value: str) -> str:
    """A DOI or URL as written, minus the braces and LaTeX escapes some tools add around it."""
    return _VERBATIM_ESCAPE.sub(r"\1", value).replace("{", "").replace("}", "").strip()


@lru_cache(maxsize=4096)
def _encode_char(char: str) -> str:
    if char in _ASCII_SPECIAL:
        return _ASCII_SPECIAL[char]
    if char.isascii():
        return char
    latex = _ENCODER.unicode_to_latex(char)
    # Only a form that decodes back to the very same character keeps the round trip exact.
    if latex != char and clean_text(DECODER.latex_to_text(latex)) == char:
        return latex
    return char


def _encode_word(word: str) -> str:
    out = []
    previous = ""
    for char in word:
        if previous + char in _LIGATURES:
            out.append("{}")
        out.append(_encode_char(char))
        previous = char
    return "".join(out)


def _needs_case_protection(word: str, first: bool) -> bool:
    letters = word[1:] if first else word
    return any(c.isupper() for c in letters)


def text_to_latex(text: str, *, protect_case: bool = False) -> str:
    """Encode clean Unicode text as a BibTeX value.

    ``protect_case`` (titles): words with capitals are braced, so styles that lower-case titles
    still print "HER2" and "MCF-7" as stored.
    """
    words = clean_text(text).split(" ")
    encoded = []
    for index, word in enumerate(words):
        latex = _encode_word(word)
        if protect_case and _needs_case_protection(word, index == 0):
            latex = "{" + latex + "}"
        encoded.append(latex)
    return " ".join(encoded)
