"""An uploaded HTML page as a source's plain text, read with a real HTML parser.

A source's text is what evidence offsets are counted in, so it must be the words a
reader sees and nothing else: Python's ``html.parser.HTMLParser`` reads the markup
(unclosed paragraphs, entities, comments and raw ``<script>`` bodies included), and
the text keeps one paragraph a line, as the seed article does (the source page shows
each line as a paragraph). So:

- a block element (``p``, ``div``, ``li``, ``h1``, ``blockquote``, ``tr``, ...) and
  ``br`` end the paragraph: the next words start a new line;
- ``script``, ``style``, ``template``, ``noscript``, ``title``, ``svg``, ``math``,
  ``iframe`` and ``canvas`` are dropped with everything inside them, as are comments;
- character references are decoded (``&amp;`` is ``&``, ``&eacute;`` is ``é``);
- inside a paragraph, runs of HTML whitespace (space, tab, line breaks, form feed) are one
  space, and a paragraph has none at its ends; a ``pre`` block keeps its lines as they
  are. A no-break space (``&nbsp;``) is a character of the text, not whitespace, as in
  HTML.

What the page says about itself (``<title>``, ``<html lang>``, the canonical address)
is kept beside the text: a form may offer it for a field left empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

#: Elements whose start or end ends a paragraph (HTML's block-level and list elements).
BLOCK_ELEMENTS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "center", "dd"),
        *("details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure"),
        *("footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr"),
        *("html", "legend", "li", "listing", "main", "menu", "nav", "ol", "p", "plaintext"),
        *("pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul", "xmp"),
    }
)
#: Elements dropped with their content: code, styling, fallbacks and the page's own title.
DROPPED_ELEMENTS = frozenset(
    {"script", "style", "template", "noscript", "title", "svg", "math", "iframe", "canvas"}
)
#: Table cells: a space between them, so two cells' words never run together.
CELL_ELEMENTS = frozenset({"td", "th"})
#: HTML's ASCII whitespace (a no-break space is not whitespace in HTML).
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


@dataclass(frozen=True)
class HtmlText:
    """A page's text, one paragraph a line, and what the page says about itself."""

    text: str
    #: The ``<title>`` (whitespace collapsed), or ``""``.
    title: str = ""
    #: The ``lang`` of ``<html>``, or ``""``.
    language: str = ""
    #: The ``href`` of ``<link rel=canonical>``, or ``""``.
    canonical: str = ""


def html_to_text(html: str) -> HtmlText:
    """The text of an HTML page, with its title, language and canonical address.

    >>> page = html_to_text(
    ...     "<html lang=fr><head><title>Le  titre</title><style>p{color:red}</style>"
    ...     "<link rel=canonical href='https://example.org/a'></head>"
    ...     "<body><h1>Title</h1><p>One  &amp;\\n two<br>three</p>"
    ...     "<script>alert('<p>no</p>')</script><p>caf&eacute;&nbsp;au lait<!-- hidden -->"
    ...     "</body></html>")
    >>> print(page.text)
    Title
    One & two
    three
    café\xa0au lait
    >>> page.title, page.language, page.canonical
    ('Le titre', 'fr', 'https://example.org/a')
    """
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    return HtmlText(
        text="\n".join(reader.paragraphs),
        title=_collapse("".join(reader.title)),
        language=reader.language,
        canonical=reader.canonical,
    )


def _collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip(" ")


class _TextReader(HTMLParser):
    """Collects paragraphs; ``convert_charrefs`` hands ``handle_data`` decoded text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.title: list[str] = []
        self.language = ""
        self.canonical = ""
        self._words: list[str] = []
        #: The dropped elements open around the current position, innermost last.
        self._dropped: list[str] = []
        self._in_title = False
        self._pre = 0

    # -- paragraphs ------------------------------------------------------------

    def _end_paragraph(self) -> None:
        joined = "".join(self._words)
        self._words = []
        if self._pre:
            # A pre block keeps its lines (and their spaces); blank lines are no paragraph.
            lines = joined.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            self.paragraphs.extend(line.rstrip() for line in lines if line.strip())
            return
        paragraph = _collapse(joined)
        if paragraph:
            self.paragraphs.append(paragraph)

    # -- HTMLParser's callbacks ------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html" and values.get("lang") and not self.language:
            self.language = values["lang"].strip()
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href", "").strip()
        if self._dropped:
            if tag in DROPPED_ELEMENTS:
                self._dropped.append(tag)
            return
        if tag in DROPPED_ELEMENTS:
            self._dropped.append(tag)
            # The page's title is the first <title> outside any dropped element (an
            # svg's <title> is inside one).
            self._in_title = tag == "title" and not self.title
            return
        if tag in BLOCK_ELEMENTS or tag == "br":
            self._end_paragraph()
            if tag == "pre":
                self._pre += 1
        elif tag in CELL_ELEMENTS:
            self._words.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <svg/>: an element with no content, never left open.
        if tag in DROPPED_ELEMENTS:
            return
        self.handle_starttag(tag, attrs)
        if tag == "pre":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._dropped:
            if tag in self._dropped:
                # Close it and whatever was left open inside it.
                del self._dropped[len(self._dropped) - 1 - self._dropped[::-1].index(tag) :]
                self._in_title = self._in_title and bool(self._dropped)
            return
        if tag in BLOCK_ELEMENTS or tag == "br":
            self._end_paragraph()
            if tag == "pre" and self._pre:
                self._pre -= 1
        elif tag in CELL_ELEMENTS:
            self._words.append(" ")

    def handle_data(self, data: str) -> None:
        if self._dropped:
            if self._in_title:
                self.title.append(data)
            return
        self._words.append(data)

    def close(self) -> None:
        super().close()
        self._end_paragraph()
