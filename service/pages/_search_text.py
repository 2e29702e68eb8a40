"""The text side of search: how what a person types is compared with names and
identifiers, and the snippet of a hit, cut between words (``service.pages._search``
holds the index)."""

from __future__ import annotations

import re
import unicodedata

#: Markers around matched words in a snippet (control characters, so no text can
#: contain them; the page turns them into <mark>).
MATCH_START, MATCH_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
#: Words of letters at least this long match with one typo (shorter ones are too easily
#: others; a word with digits, a year or an identifier, is meant exactly: 2022 is not 2023).
FUZZY_MIN_LENGTH = 4


def fold(word: str) -> str:
    """A word as the index compares it: lower case, accents dropped.

    >>> fold("Kyïv")
    'kyiv'
    """
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def one_typo_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one letter added, dropped, changed or two
    neighbours swapped (the typo the index forgives).

    >>> [one_typo_apart("istambul", w) for w in ("istanbul", "itsambul", "istanbull", "ankara")]
    [True, True, False, False]
    """
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]
        return a[i + 1 :] == b[i + 1 :] or swapped
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


def matches(word: str, words: list[str]) -> bool:
    """Whether a word of a text is one a person searched for: it starts with a searched
    word, or is one typo from a searched word of letters (``words`` are folded).

    >>> matches("Istanbul", ["istambul"]), matches("Ankara", ["istambul"])
    (True, False)
    """
    folded = fold(word)
    return any(
        folded.startswith(w)
        or (len(w) >= FUZZY_MIN_LENGTH and w.isalpha() and one_typo_apart(folded, w))
        for w in words
    )


def ident_key(text: str) -> str:
    """How an identifier is compared: whole, case-insensitively.

    >>> ident_key(" C17 ")
    'c17'
    """
    return text.strip().lower()


def local_keys(iri: str, base: str) -> set[str]:
    """The names an entity's IRI is found by: its local name, its path under the base.

    >>> sorted(local_keys("http://x/id/Putin", "http://x/"))
    ['id/putin', 'putin']
    """
    keys = set()
    local = iri.rsplit("/", 1)[-1].split("#", 1)[0]
    if local:
        keys.add(ident_key(local))
    if iri.startswith(base) and "#" not in iri:
        keys.add(ident_key(iri[len(base) :]))
    return {k for k in keys if k}


def snippet(words: list[str], *texts: str, width: int = 160) -> str:
    """A stretch of the first text that holds a match, matched words between the markers,
    cut only between words, with "…" where it is cut.

    >>> s = snippet(["ist"], "Talks", "From Istanbul in 2022 onward")
    >>> s.replace(MATCH_START, "[").replace(MATCH_END, "]")
    'From [Istanbul] in 2022 onward'
    >>> snippet(["zzz"], "one two three four", width=9)
    'one two …'
    """
    for text in texts:
        found = [m for m in _WORD.finditer(text) if matches(m.group(), words)]
        if not found:
            continue
        start, end = _between_words(text, found[0].start() - width // 3, width, found[0].end())
        out, cursor = [], start
        for m in found:
            if m.start() < start or m.end() > end:
                continue
            out += [text[cursor : m.start()], MATCH_START, m.group(), MATCH_END]
            cursor = m.end()
        out.append(text[cursor:end])
        return _ellipses(text, start, end, "".join(out))
    if not texts:
        return ""
    start, end = _between_words(texts[0], 0, width, 0)
    return _ellipses(texts[0], start, end, texts[0][start:end])


def _between_words(text: str, start: int, width: int, keep: int) -> tuple[int, int]:
    """A stretch of about ``width`` characters from about ``start`` whose ends fall between
    words, reaching at least to ``keep`` (the end of the first match)."""
    start = max(0, start)
    if start > 0 and _inside_word(text, start):
        after = _SPACE.search(text, start)
        start = after.end() if after is not None and after.end() <= keep else start
        while start > 0 and _inside_word(text, start):  # the match's own word: keep it whole
            start -= 1
    end = min(len(text), start + width)
    if end < len(text) and _inside_word(text, end):
        before = text.rfind(" ", start, end)
        if before > max(start, keep - 1):
            end = before
        else:
            after = _SPACE.search(text, end)
            end = after.start() if after is not None else len(text)
    return start, end


def _inside_word(text: str, at: int) -> bool:
    """Whether a cut at ``at`` would split a word (a non-space on both sides)."""
    return 0 < at < len(text) and not text[at - 1].isspace() and not text[at].isspace()


def _ellipses(text: str, start: int, end: int, part: str) -> str:
    return ("… " if start > 0 else "") + part.strip() + (" …" if end < len(text) else "")
