"""The formats Parley reads and writes, and content negotiation between them.

One registry of formats (media types, file suffixes, kind); ``negotiate``
picks one from an ``Accept`` header with q-values and specificity, or from an
explicit ``format=`` override, and raises ``NotAcceptableError`` listing what
is supported when nothing fits. Pure: no Flask, no engine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from service.errors import NotAcceptableError, UnsupportedMediaTypeError

Kind = Literal["rdf", "results", "html"]


@dataclass(frozen=True)
class Format:
    """A serialisation format."""

    name: str
    media_type: str
    suffix: str
    kind: Kind
    #: Other media types that mean this format (in Accept or Content-Type).
    aliases: tuple[str, ...] = ()
    #: Other names accepted by ``format=``.
    nicknames: tuple[str, ...] = ()
    #: True when the format carries named graphs (N-Quads, TriG).
    quads: bool = False

    @property
    def content_type(self) -> str:
        """The Content-Type header value (text formats are UTF-8)."""
        if self.media_type.startswith("text/") or self.media_type in _UTF8_APPLICATION:
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


_UTF8_APPLICATION = {
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/sparql-results+json",
    "application/ld+json",
}

TURTLE = Format("turtle", "text/turtle", "ttl", "rdf", ("application/x-turtle",), ("ttl",))
NTRIPLES = Format(
    "ntriples", "application/n-triples", "nt", "rdf", ("text/plain",), ("nt", "n-triples")
)
NQUADS = Format("nquads", "application/n-quads", "nq", "rdf", (), ("nq", "n-quads"), quads=True)
TRIG = Format("trig", "application/trig", "trig", "rdf", (), (), quads=True)
JSONLD = Format(
    "jsonld", "application/ld+json", "jsonld", "rdf", ("application/json",), ("json-ld",)
)
RDFXML = Format(
    "rdfxml", "application/rdf+xml", "rdf", "rdf", ("application/xml", "text/xml"), ("xml", "rdf")
)

JSON = Format(
    "json",
    "application/sparql-results+json",
    "srj",
    "results",
    ("application/json",),
    ("srj",),
)
XML = Format(
    "xml",
    "application/sparql-results+xml",
    "srx",
    "results",
    ("application/xml", "text/xml"),
    ("srx",),
)
CSV = Format("csv", "text/csv", "csv", "results")
TSV = Format("tsv", "text/tab-separated-values", "tsv", "results")

HTML = Format("html", "text/html", "html", "html", ("application/xhtml+xml",))

#: Serialisations of graphs, preferred first (the default when Accept allows anything).
RDF_FORMATS = (TURTLE, NTRIPLES, NQUADS, TRIG, JSONLD, RDFXML)
#: Serialisations of SELECT and ASK results, preferred first.
RESULT_FORMATS = (JSON, XML, CSV, TSV)
ALL_FORMATS = (*RDF_FORMATS, *RESULT_FORMATS, HTML)
#: Every format by its name (how a format travels between processes).
BY_NAME = {f.name: f for f in ALL_FORMATS}


def by_suffix(suffix: str) -> Format | None:
    """The RDF or HTML format with this file suffix (``ttl``, ``jsonld``, ...).

    >>> by_suffix("ttl").name
    'turtle'
    >>> by_suffix("exe") is None
    True
    """
    for fmt in (*RDF_FORMATS, HTML):
        if fmt.suffix == suffix:
            return fmt
    return None


def rdf_format_for_content_type(content_type: str | None) -> Format:
    """The RDF format a request body declares; 415 when there is none Parley reads.

    >>> rdf_format_for_content_type("text/turtle; charset=utf-8").name
    'turtle'
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for fmt in RDF_FORMATS:
        if media == fmt.media_type or (media in fmt.aliases and media != "application/xml"):
            return fmt
    if media == "application/xml":
        return RDFXML
    supported = ", ".join(f.media_type for f in RDF_FORMATS)
    raise UnsupportedMediaTypeError(
        f"Content-Type {media or '(none)'!r} is not an RDF format Parley reads; "
        f"send one of: {supported}.",
        supported=[f.media_type for f in RDF_FORMATS],
    )


@functools.lru_cache(maxsize=512)
def negotiate(
    accept: str | None,
    candidates: tuple[Format, ...],
    *,
    override: str | None = None,
) -> Format:
    """Choose the best of ``candidates`` for an Accept header, or by ``override``.

    The override is a format name, nickname, suffix or media type. Without an
    Accept header (or with ``*/*``) the first candidate wins.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", RESULT_FORMATS).name
    'xml'
    >>> negotiate(None, RDF_FORMATS).name
    'turtle'
    >>> negotiate("application/json", RDF_FORMATS).name
    'jsonld'
    >>> negotiate("text/turtle", RESULT_FORMATS)
    Traceback (most recent call last):
    ...
    service.errors.NotAcceptableError: None of the accepted types (text/turtle) is ...
    """
    if override:
        wanted = override.strip().lower()
        for fmt in candidates:
            names = (fmt.name, fmt.suffix, fmt.media_type, *fmt.nicknames, *fmt.aliases)
            if wanted in names:
                return fmt
        raise NotAcceptableError(
            f"format={override!r} is not available here; use one of: "
            + ", ".join(f.name for f in candidates)
            + ".",
            supported=[f.media_type for f in candidates],
        )
    if not accept or not accept.strip():
        return candidates[0]
    parsed = parse_accept_header(_without_parameters(accept), MIMEAccept)
    offers: list[str] = []
    owner: dict[str, Format] = {}
    # Every format's own media type ranks before any alias, so "text/*" means CSV, not
    # text/xml (an alias of SPARQL XML).
    for media, fmt in [(f.media_type, f) for f in candidates] + [
        (alias, f) for f in candidates for alias in f.aliases
    ]:
        if media not in owner:
            owner[media] = fmt
            offers.append(media)
    best = parsed.best_match(offers)
    if best is None:
        asked = ", ".join(value for value, _q in parsed) or accept
        raise NotAcceptableError(
            f"None of the accepted types ({asked}) is available here; ask for one of: "
            + ", ".join(f.media_type for f in candidates)
            + ".",
            supported=[f.media_type for f in candidates],
        )
    return owner[best]


def _without_parameters(accept: str) -> str:
    """An Accept header without media-type parameters other than q.

    ``text/turtle; charset=utf-8`` must match the offer ``text/turtle`` (the GSP tests
    send it), and werkzeug only matches parameters exactly.

    >>> _without_parameters("text/turtle; charset=utf-8, text/csv;q=0.5")
    'text/turtle, text/csv;q=0.5'
    """
    items = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        kept = [p for p in params if p.replace(" ", "").lower().startswith("q=")]
        items.append(";".join([media, *kept]))
    return ", ".join(items)


@functools.lru_cache(maxsize=512)
def prefers_html(accept: str | None) -> bool:
    """True when a client (a browser) prefers HTML over the machine formats.

    >>> prefers_html("text/html,application/xhtml+xml,*/*;q=0.8")
    True
    >>> prefers_html("application/json")
    False
    >>> prefers_html(None)
    False
    """
    if not accept:
        return False
    parsed = parse_accept_header(accept, MIMEAccept)
    html_q = max(parsed["text/html"], parsed["application/xhtml+xml"])
    named = any(value in ("text/html", "application/xhtml+xml") for value, _q in parsed)
    if html_q <= 0 or not named:
        return False
    others = [
        q for value, q in parsed if value not in ("text/html", "application/xhtml+xml", "*/*")
    ]
    return html_q >= max(others, default=0.0)
