"""Requests the server would make to other hosts: refused unless a host is allow-listed.

pyoxigraph fetches any URL a query's ``SERVICE`` names (and a remote store's engine
does the same), and an update's ``LOAD`` names a URL to fetch; on a public endpoint
that lets anyone make the server call internal addresses (SSRF). Parley refuses
every such target whose host is not in ``Settings.outbound_allow`` (empty by
default: no outbound request at all), and every ``SERVICE ?var``.

The targets are found with a real parser (rdflib's), not a second lexer: a lexer
that reads a text differently from the engine (a comment ended by a carriage
return, an IRI written with ``\\u`` escapes) lets a ``SERVICE`` through. The
reading is fail-closed:

- a text that does not contain the letters "service" or "load" (in any case,
  also after SPARQL's codepoint unescaping) cannot call out, and is not parsed;
- otherwise it must contain no codepoint escape: engines apply them in different
  places (SPARQL 1.1 and Jena over the whole text, Oxigraph inside strings and
  IRIs only), so where the words of such a text end cannot be known for sure;
- and it must parse (as a query or an update) within ``MAX_READ_CHARS``; its
  ``SERVICE`` and ``LOAD`` targets are then exactly the parser's.

Where the engine evaluates in a process of its own, the operating system adds a
second wall: those processes have no network (``service.query._isolation``).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from pyparsing import ParseException, ParseResults
from rdflib import URIRef, Variable
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from service.errors import OutboundRequestError, QuerySyntaxError, UpdateFailedError
from service.rdf import has_codepoint_escapes, unescape_codepoints

#: Characters of a text that names SERVICE or LOAD that are read before evaluation
#: (rdflib's parser reads about 20 KB a second, in the web process).
MAX_READ_CHARS = 32 * 1024
#: URL schemes a SERVICE or LOAD target may have.
_SCHEMES = ("http", "https")


def mentions_remote(text: str) -> bool:
    """True if ``text`` contains the letters of SERVICE or LOAD anywhere, in any case,
    as written or after codepoint unescaping (only such a text can call out).

    >>> mentions_remote("SELECT ?download { }"), mentions_remote(r"SERV\\u0049CE")
    (True, True)
    >>> mentions_remote("SELECT * { ?s ?p ?o }")
    False
    """
    for variant in (text, unescape_codepoints(text)):
        # casefold: 'ſ' is an 's' to a Unicode-aware engine; 'ı' an 'i' to Java's upper case.
        folded = variant.casefold().replace("ı", "i")
        if "service" in folded or "load" in folded:
            return True
    return False


def remote_targets(text: str) -> list[str]:
    """The targets ``SERVICE`` and ``LOAD`` name in a query or update, in order: an
    absolute or relative IRI, or ``?var`` for a variable.

    :raises OutboundRequestError: the text may call out but cannot be read with
        confidence (codepoint escapes, too long).
    :raises QuerySyntaxError: the text may call out and does not parse.

    >>> remote_targets("PREFIX e: <http://e/> SELECT * { SERVICE SILENT e:s { } }")
    ['http://e/s']
    >>> remote_targets("LOAD <http://a/b.ttl> INTO GRAPH <g> ; BASE <http://c/> LOAD <d>")
    ['http://a/b.ttl', 'http://c/d']
    >>> remote_targets("SELECT * { #x\\rSERVICE ?where { } }")
    ['?where']
    """
    if not mentions_remote(text):  # most requests: nothing to read
        return []
    if has_codepoint_escapes(text):
        raise OutboundRequestError(
            "a query or update that contains the word SERVICE or LOAD may not use \\u or "
            "\\U escapes (engines apply them in different places, so the text cannot be "
            "read with confidence); write the characters themselves",
            reason="codepoint-escape",
        )
    if len(text) > MAX_READ_CHARS:
        raise OutboundRequestError(
            f"a query or update that contains the word SERVICE or LOAD is read before it "
            f"is evaluated, which is limited to {MAX_READ_CHARS} characters; this one has "
            f"{len(text)} (to write data that mentions them, send it to POST /data or the "
            "Graph Store Protocol, /store)",
            reason="too-long-to-read",
        )
    return list(_targets(_parse(text)))


def check_outbound(text: str, allow: Iterable[str]) -> None:
    """Refuse a query or update that would fetch from a host not allow-listed.

    >>> check_outbound("SELECT * { ?s ?p ?o }", ())
    >>> check_outbound("LOAD <http://10.0.0.1/x.ttl>", ())
    Traceback (most recent call last):
    ...
    service.errors.OutboundRequestError: LOAD/SERVICE of <http://10.0.0.1/x.ttl> is refused: ...
    >>> check_outbound("SELECT * { SERVICE <http://data.example/sparql> {} }", ["data.example"])
    """
    allowed = {host.lower() for host in allow}
    for target in remote_targets(text):
        if target.startswith(("?", "$")):
            raise OutboundRequestError(
                f"SERVICE {target} is refused: the endpoint to call must be a fixed IRI of "
                "an allow-listed host, never a variable",
                iri=target,
            )
        hint = (
            "this server makes no outbound requests (no --outbound-allow hosts)"
            if not allowed
            else "allowed hosts: " + ", ".join(sorted(allowed))
        )
        try:
            parts = urlsplit(target)
            scheme, netloc, host = parts.scheme.lower(), parts.netloc, parts.hostname or ""
        except ValueError:  # not a URL at all (an unclosed IPv6 bracket)
            scheme, netloc, host = "", "", ""
        host = host.lower()
        # Only a plain http(s) URL of an allowed host: user info, another scheme or a
        # relative IRI (whose base is the engine's to choose) could each be read otherwise.
        if scheme not in _SCHEMES or "@" in netloc or host not in allowed:
            raise OutboundRequestError(
                f"LOAD/SERVICE of <{target}> is refused: {hint}", iri=target, host=host
            )


def _parse(text: str) -> ParseResults | CompValue:
    """The parse of ``text`` as a query, else as an update.

    rdflib ends a comment only at a line feed; SPARQL (and the engine) at a carriage
    return too, so carriage returns become line feeds first (inside a long string, where
    one may also stand, that changes a literal, never a SERVICE or LOAD).
    """
    readable = text.replace("\r", "\n")
    failures: list[ParseException] = []
    for parse in (parseQuery, parseUpdate):
        try:
            return parse(readable)
        except ParseException as exc:
            failures.append(exc)
        except RecursionError:
            raise QuerySyntaxError(
                "the query or update contains the word SERVICE or LOAD and is nested too "
                "deeply to be read before evaluation"
            ) from None
        except Exception as exc:  # rdflib raises bare errors too: never let such a text by
            raise QuerySyntaxError(
                "the query or update contains the word SERVICE or LOAD and cannot be read "
                f"before evaluation: {exc}"
            ) from None
    worst = max(failures, key=lambda exc: exc.loc)  # the reading that got furthest
    raise QuerySyntaxError(
        f"the text does not parse at line {worst.lineno}, column {worst.col}: {worst.msg} "
        "(it contains the word SERVICE or LOAD, so it is read before evaluation)",
        line=worst.lineno,
        column=worst.col,
    )


def _targets(parsed: ParseResults | CompValue) -> Iterator[str]:
    """The SERVICE and LOAD targets of a parse, resolved by its prologue(s)."""
    if isinstance(parsed, CompValue) and parsed.name == "Update":
        # An update's operations each have a prologue, added to the earlier ones'.
        prologue: list[CompValue] = []
        for declared, request in zip(
            parsed.get("prologue") or [], parsed.get("request") or [], strict=False
        ):
            prologue.extend(declared)
            yield from _resolved(request, prologue)
        return
    yield from _resolved(parsed, list(parsed[0]))


def _resolved(tree: object, prologue: list[CompValue]) -> Iterator[str]:
    for node in _nodes(tree):
        if node.name == "ServiceGraphPattern":
            yield _resolve(node.get("term"), prologue)
        elif node.name == "Load":
            yield _resolve(node.get("iri"), prologue)


def _nodes(tree: object) -> Iterator[CompValue]:
    """Every ``CompValue`` in a parse tree (without recursion: trees can be deep)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, CompValue):
            yield node
            pending.extend(reversed(list(node.values())))
        elif isinstance(node, ParseResults | list | tuple):
            pending.extend(reversed(list(node)))


def _resolve(term: object, prologue: list[CompValue]) -> str:
    """A target as the engine would fetch it; a relative IRI stays relative (refused)."""
    if isinstance(term, Variable):
        return "?" + str(term)
    base: str | None = None
    prefixes: dict[str, str] = {}
    for declaration in prologue:  # in order: a BASE applies to the declarations after it
        iri = str(declaration.get("iri"))
        if declaration.name == "Base":
            base = urljoin(base, iri) if base else iri
        elif declaration.name == "PrefixDecl":
            prefixes[declaration.get("prefix") or ""] = urljoin(base, iri) if base else iri
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = term.get("prefix") or ""
        if prefix not in prefixes:  # one of Parley's own, or none: not read with confidence
            return f"{prefix}:{term.get('localname') or ''}"
        iri = prefixes[prefix] + (term.get("localname") or "")
    elif isinstance(term, URIRef | str):
        iri = str(term)
    else:
        return repr(term)
    return urljoin(base, iri) if base else iri


class _RefuseRedirect(urllib.request.HTTPRedirectHandler):
    """An allow-listed host could redirect anywhere: a redirect is a failed LOAD."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> None:
        raise UpdateFailedError(
            f"LOAD <{req.full_url}> was redirected to <{newurl}>, which is refused"
        )


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirect)


def fetch(url: str, *, max_bytes: int, timeout_s: float) -> tuple[bytes, str | None]:
    """Download an allow-listed document for ``LOAD``: its bytes and Content-Type.

    :raises UpdateFailedError: the download failed or was larger than ``max_bytes``.
    """
    request = urllib.request.Request(url, headers={"Accept": "text/turtle, application/n-triples"})
    try:
        with _NO_REDIRECTS.open(request, timeout=timeout_s) as response:
            data = response.read(max_bytes + 1)
            content_type = response.headers.get("Content-Type")
    except OSError as exc:
        raise UpdateFailedError(f"LOAD <{url}> failed: {exc}") from exc
    if len(data) > max_bytes:
        raise UpdateFailedError(f"LOAD <{url}> is larger than {max_bytes} bytes")
    return data, content_type
