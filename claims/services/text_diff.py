"""Diffs of a claim's text that stay readable when a sentence is rewritten.

``sentence_diff`` compares the two texts sentence by sentence first; only a sentence that was
edited (one still mostly like its old self) is marked word by word. A rewritten sentence reads as
the old sentence removed and the new one added, not as a scatter of changed words.
Both give [(op, text)] with op in equal / delete / insert; the texts, joined, give back the old
text (equal + delete) and the new one (equal + insert).
"""

import difflib
import re

_TOKENS = re.compile(r"\s+|[^\s]+")
# A sentence runs to the first ., ! or ? followed by white space (or to the end), its trailing
# white space included; "3.5" and "e.g.," do not end one.
_SENTENCES = re.compile(r".*?(?:[.!?]+(?:\s+|$)|$)", re.S)
# How alike two sentences must be (difflib's ratio over their words) to be marked word by word.
EDITED = 0.5

type Segments = list[tuple[str, str]]


def word_diff(old: str | None, new: str | None) -> Segments:
    """[(op, text)] turning ``old`` into ``new`` word by word."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    segments: Segments = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("equal", "delete"):
            segments.append((op, "".join(a[i1:i2])))
        elif op == "insert":
            segments.append((op, "".join(b[j1:j2])))
        else:
            segments += [("delete", "".join(a[i1:i2])), ("insert", "".join(b[j1:j2]))]
    return segments


def sentences(text: str | None) -> list[str]:
    """``text`` cut into sentences, each with the white space after it (joined, they give ``text``)."""
    return [sentence for sentence in _SENTENCES.findall(text or "") if sentence]


def _alike(old: str, new: str) -> bool:
    # Words only: the spaces between them would make any two sentences look alike.
    matcher = difflib.SequenceMatcher(a=old.split(), b=new.split(), autojunk=False)
    return matcher.ratio() >= EDITED


def _replaced(old: list[str], new: list[str]) -> Segments:
    """Segments for sentences ``old`` replaced by ``new``: pairs still alike word by word, the rest whole."""
    segments: Segments = []
    for index in range(max(len(old), len(new))):
        before = old[index] if index < len(old) else ""
        after = new[index] if index < len(new) else ""
        if before and after and _alike(before, after):
            segments += word_diff(before, after)
        else:
            segments += [("delete", before), ("insert", after)]
    return segments


def sentence_diff(old: str | None, new: str | None) -> Segments:
    """[(op, text)] turning ``old`` into ``new``: sentences first, words inside edited sentences."""
    a, b = sentences(old), sentences(new)
    # Sentences compare without their trailing white space: the last one has none.
    matcher = difflib.SequenceMatcher(a=[s.strip() for s in a], b=[s.strip() for s in b], autojunk=False)
    segments: Segments = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments += word_diff("".join(a[i1:i2]), "".join(b[j1:j2]))  # white space may differ
        elif op == "delete":
            segments.append(("delete", "".join(a[i1:i2])))
        elif op == "insert":
            segments.append(("insert", "".join(b[j1:j2])))
        else:
            segments += _replaced(a[i1:i2], b[j1:j2])
    return _merged(segments)


def _merged(segments: Segments) -> Segments:
    """Drop empty segments and join neighbours of one kind."""
    merged: Segments = []
    for op, text in segments:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged
