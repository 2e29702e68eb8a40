"""The SPARQL 1.1 Protocol's request rules, without a web framework.

``parse_operation`` turns the parts of an HTTP request (method, Content-Type,
URL parameters, body) into one ``Operation``: a query or an update, its text,
and the dataset the protocol parameters name. Every breach of the protocol
is a ``ProtocolError`` (400) or ``UnsupportedMediaTypeError`` (415) whose
detail says what to send instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs

from service.errors import ProtocolError, UnsupportedMediaTypeError
from service.rdf import NamedNode, update_has_using_or_with
from service.sparql._depth import check_nesting
from service.store import DatasetSpec

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"

Params = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Operation:
    """A SPARQL query or update with the dataset named by protocol parameters."""

    kind: Literal["query", "update"]
    text: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    #: Extra parameters (``format``, ``timeout``, ...) from the URL or form.
    options: dict[str, str] = field(default_factory=dict)

    def dataset(self) -> DatasetSpec | None:
        """The dataset the parameters name, or ``None`` for Parley's default."""
        if not self.default_graphs and not self.named_graphs:
            return None
        return DatasetSpec(
            default_graphs=tuple(NamedNode(g) for g in self.default_graphs),
            named_graphs=tuple(NamedNode(g) for g in self.named_graphs),
        )


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"the {what} is not UTF-8 (byte {exc.start}); SPARQL requests must be UTF-8 encoded"
        ) from None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _one(params: Params, name: str) -> str | None:
    values = params.get(name, ())
    if len(values) > 1:
        raise ProtocolError(f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def _iris(params: Params, name: str) -> tuple[str, ...]:
    values = tuple(params.get(name, ()))
    for value in values:
        if not value or any(c in value for c in ' <>"{}|\\^`') or ":" not in value:
            raise ProtocolError(f"{name}={value!r} is not an absolute IRI")
        try:
            NamedNode(value)  # the store's own reading: control characters, a bad scheme
        except ValueError:
            raise ProtocolError(f"{name}={value!r} is not a valid IRI") from None
    return values


def _body_charset(content_type: str | None) -> None:
    """Refuse a body whose declared charset is not UTF-8 (the protocols' only one) rather
    than read it as UTF-8 all the same."""
    charset = _charset(content_type)
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaTypeError(
            f"charset {charset} is not supported; SPARQL requests are UTF-8: send the body "
            "in UTF-8 with charset=utf-8 (or no charset)"
        )


def _form(body: bytes) -> dict[str, list[str]]:
    """The form body's fields; a percent-escape that is not UTF-8 is refused, not replaced."""
    try:
        return parse_qs(_decode(body, "form body"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"the form body has a %-escape that is not UTF-8 ({exc.reason}); SPARQL requests "
            "must be UTF-8 encoded"
        ) from None


def parse_operation(
    *, method: str, content_type: str | None, args: Params, body: bytes
) -> Operation | None:
    """The operation a request carries; ``None`` for a GET with no query (service description).

    >>> op = parse_operation(method="GET", content_type=None, args={"query": ["ASK {}"]}, body=b"")
    >>> op.kind, op.text
    ('query', 'ASK {}')
    >>> parse_operation(method="GET", content_type=None, args={"update": ["CLEAR ALL"]}, body=b"")
    Traceback (most recent call last):
    ...
    service.errors.ProtocolError: updates must be sent with POST, never GET
    """
    method = method.upper()
    media = _media_type(content_type)
    if method in ("GET", "HEAD"):
        if "update" in args:
            raise ProtocolError("updates must be sent with POST, never GET")
        query = _one(args, "query")
        if query is None:
            return None
        return _build("query", query, args, args)
    if method != "POST":
        raise ProtocolError(f"{method} is not a SPARQL Protocol method; use GET or POST")
    if media == FORM_TYPE:
        _body_charset(content_type)
        form = _form(body)
        has_query, has_update = "query" in form, "update" in form
        if "query" in args or "update" in args:
            raise ProtocolError(
                "the form carries the operation in its body; remove the 'query'/'update' "
                "URL parameter (the protocol allows one source)"
            )
        if has_query and has_update:
            raise ProtocolError("the form has both 'query' and 'update'; send one operation")
        if not has_query and not has_update:
            raise ProtocolError("the form has neither a 'query' nor an 'update' parameter")
        kind: Literal["query", "update"] = "query" if has_query else "update"
        text = _one(form, kind)
        assert text is not None
        merged = {**{k: list(v) for k, v in args.items()}, **form}
        for name in (
            "default-graph-uri",
            "named-graph-uri",
            "using-graph-uri",
            "using-named-graph-uri",
        ):
            if name in args and name in form:
                merged[name] = [*args[name], *form[name]]
        return _build(kind, text, merged, merged)
    if media in (QUERY_TYPE, UPDATE_TYPE):
        if "query" in args or "update" in args:
            raise ProtocolError(
                f"a {media} request carries the operation in its body; remove the "
                "'query'/'update' URL parameter"
            )
        kind = "query" if media == QUERY_TYPE else "update"
        _body_charset(content_type)
        return _build(kind, _decode(body, f"{kind} body"), args, args)
    if not media:
        raise UnsupportedMediaTypeError(
            "a POST to the SPARQL endpoint needs a Content-Type: "
            f"{FORM_TYPE}, {QUERY_TYPE} or {UPDATE_TYPE}"
        )
    raise UnsupportedMediaTypeError(
        f"Content-Type {media} is not a SPARQL request; send {FORM_TYPE}, {QUERY_TYPE} "
        f"or {UPDATE_TYPE}"
    )


def _build(
    kind: Literal["query", "update"], text: str, params: Params, options: Params
) -> Operation:
    if not text.strip():
        raise ProtocolError(f"the {kind} is empty")
    if "\x00" in text:
        raise ProtocolError(f"the {kind} holds a NUL character, which SPARQL text never does")
    # Before any engine parses it: a deep enough text crashes the process parsing it.
    check_nesting(text, kind)
    if kind == "query":
        defaults = _iris(params, "default-graph-uri")
        named = _iris(params, "named-graph-uri")
        if params.get("using-graph-uri") or params.get("using-named-graph-uri"):
            raise ProtocolError("using-graph-uri and using-named-graph-uri apply to updates only")
    else:
        defaults = _iris(params, "using-graph-uri")
        named = _iris(params, "using-named-graph-uri")
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            raise ProtocolError(
                "default-graph-uri and named-graph-uri apply to queries; updates take "
                "using-graph-uri and using-named-graph-uri"
            )
        if (defaults or named) and update_has_using_or_with(text):
            raise ProtocolError(
                "the update names its dataset with USING or WITH and the request with "
                "using-graph-uri/using-named-graph-uri; the protocol forbids both at once"
            )
    extra = {
        k: v[0]
        for k, v in options.items()
        if v and k not in ("query", "update") and not k.endswith("graph-uri")
    }
    return Operation(kind, text, defaults, named, extra)
