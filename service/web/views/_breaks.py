"""Where a long IRI, CURIE or identifier may wrap: a ``<wbr>`` at each place a reader
expects a line to end.

A table cell never breaks a word (parley.css), so a token with no spaces that is wider
than its column would push the table, and the page, past a phone's screen. Such a token
may wrap after ``/ # _ : ? & = . - | >`` and between a lower-case letter and an upper-case one
(``parley:actsOn<wbr>Behalf<wbr>Of``), and nowhere else. ``<wbr>`` is an element, not a
character: copying the text copies the IRI as it is. static/validate.js does the same
for the report it draws.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: Tokens shorter than this never need a break: the words of a sentence, a short name.
LONG = 16
_TOKEN = re.compile(rf"\S{{{LONG},}}")
#: After a run of punctuation (``http://`` breaks after both slashes), or in camelCase.
_BREAK = re.compile(r"(?<=[/#_:?&=.\-|>])(?=[^/#_:?&=.\-|>])|(?<=[a-z])(?=[A-Z])")
_WBR = Markup("<wbr>")


def breakable(text: object) -> Markup:
    """``text`` escaped, with ``<wbr>`` where its long tokens may wrap.

    >>> str(breakable("see http://example.org/id/Putin"))
    'see http://<wbr>example.<wbr>org/<wbr>id/<wbr>Putin'
    >>> str(breakable("parley:actsOnBehalfOf & <b>"))
    'parley:<wbr>acts<wbr>On<wbr>Behalf<wbr>Of &amp; &lt;b&gt;'
    >>> str(breakable("Turkey, a negotiator"))
    'Turkey, a negotiator'
    """
    if isinstance(text, Markup):  # already HTML: its tags are not to be split
        return text
    plain = str(text)
    parts: list[Markup] = []
    last = 0
    for token in _TOKEN.finditer(plain):
        parts.append(escape(plain[last : token.start()]))
        parts.append(_WBR.join(escape(piece) for piece in _BREAK.split(token.group())))
        last = token.end()
    parts.append(escape(plain[last:]))
    return Markup("").join(parts)
