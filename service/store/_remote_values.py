"""Writes a store would keep as other values than those written: refused before a commit.

Parley must never store a value other than the one the gate validated. An engine that
stores numbers and booleans by value (Virtuoso: ``Engine.keeps_equal_values`` false)
keeps ``true`` and ``1`` on one subject, predicate and graph as one triple, of either
type, and likewise ``1`` and ``1.0``, or ``1.0`` and ``1e0``. A commit that would leave
two such literals side by side (both written, or one written beside one stored) is
refused with a ``RemoteStoreLimitError`` naming them, before anything is written.

The lexical form is another matter: such an engine keeps the value of ``"01"^^xsd:integer``
but writes it back ``"1"``; the README's engines table says which forms change.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from service.errors import RemoteStoreLimitError
from service.rdf import XSD, Literal, NamedNode, Quad
from service.store._sparql_client import SparqlClient

_INTEGERS = frozenset(
    XSD[name].value
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
_KINDS = {XSD.decimal.value: "decimal", XSD.double.value: "double", XSD.float.value: "float"}
#: Keys of (subject, predicate, graph) per lookup of what the store holds.
LOOKUP_BATCH = 100

#: A subject, predicate and graph.
Slot = tuple[object, object, object]


def kind_and_value(term: object) -> tuple[str, Decimal] | None:
    """A boolean's or a number's kind and value (``None``: neither).

    >>> kind_and_value(Literal("true", datatype=XSD.boolean))
    ('boolean', Decimal('1'))
    >>> kind_and_value(Literal("01", datatype=XSD.int)), kind_and_value(Literal("x"))
    (('integer', Decimal('1')), None)
    """
    if not isinstance(term, Literal) or term.datatype is None:
        return None
    datatype = term.datatype.value
    text = term.value.strip()
    if datatype == XSD.boolean.value:
        return ("boolean", Decimal(1 if text in ("true", "1") else 0))
    kind = "integer" if datatype in _INTEGERS else _KINDS.get(datatype)
    if kind is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return (kind, value) if value.is_finite() else None


def refuse_collapsing(client: SparqlClient, insert: Iterable[Quad], engine_name: str) -> None:
    """Raise ``RemoteStoreLimitError`` when the change would write two literals of one
    value and different kinds on one subject, predicate and graph, or one beside such a
    literal the store holds (all quads as stored). Also when the change deletes the one
    held: Virtuoso 7.2 then keeps the old one's type if both are in one request
    (measured: delete ``1``, insert ``true``, one request: ``1`` is read back)."""
    found: dict[tuple[Slot, Decimal], dict[str, Quad]] = {}
    for q in insert:
        key = kind_and_value(q.object)
        if key is not None:
            slot = (q.subject, q.predicate, q.graph_name)
            found.setdefault((slot, key[1]), {})[key[0]] = q
    for quads in found.values():
        if len(quads) > 1:
            _refuse(list(quads.values()), engine_name)
    slots = sorted({slot for slot, _v in found if isinstance(slot[0], NamedNode)}, key=str)
    for start in range(0, len(slots), LOOKUP_BATCH):
        for held in _stored(client, slots[start : start + LOOKUP_BATCH]):
            key = kind_and_value(held.object)
            slot = (held.subject, held.predicate, held.graph_name)
            written = found.get((slot, key[1])) if key is not None else None
            if key is None or written is None or key[0] in written:
                continue
            _refuse([held, *written.values()], engine_name, stored=True)


def _stored(client: SparqlClient, slots: list[Slot]) -> list[Quad]:
    values = " ".join(f"({s} {p} {g})" for s, p, g in slots)
    rows = client.select(
        f"SELECT ?s ?p ?g ?o WHERE {{ VALUES (?s ?p ?g) {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(isNumeric(?o) || datatype(?o) = {XSD.boolean}) }}"
    )[1]
    held: list[Quad] = []
    for row in rows:
        s, p, o, g = row.get("s"), row.get("p"), row.get("o"), row.get("g")
        named = isinstance(s, NamedNode) and isinstance(g, NamedNode)
        if named and isinstance(p, NamedNode) and isinstance(o, Literal):
            held.append(Quad(s, p, o, g))  # type: ignore[arg-type]
    return held


def _refuse(quads: list[Quad], engine_name: str, *, stored: bool = False) -> None:
    first = quads[0]
    objects = " and ".join(str(q.object) for q in quads)
    where = "beside the one the store holds" if stored else "together"
    raise RemoteStoreLimitError(
        f"{engine_name} would keep {first.subject} {first.predicate} with {objects} "
        f"({where}, in {first.graph_name}) as one triple: it stores numbers and booleans by "
        "value, so one of them would be stored as another value than the one written. "
        "Parley refuses the write rather than store a value it did not validate: write "
        "one of them; to replace one by the other, delete it in one write and write the "
        "other in the next",
        subject=str(first.subject),
        predicate=str(first.predicate),
        objects=[str(q.object) for q in quads],
    )


def refuse_strings_of_iris(client: SparqlClient, insert: Iterable[Quad], engine_name: str) -> None:
    """Raise ``RemoteStoreLimitError`` when the change writes a plain string whose text is
    an IRI the change also writes and the store does not hold yet: an engine with
    ``Engine.strings_become_iris`` may keep the string as that IRI (Virtuoso 7: when the
    IRI is new to it and comes first in the request, even in the same triple; an IRI it
    holds already does not take the string's place)."""
    quads = list(insert)
    iris = {
        t.value
        for q in quads
        for t in (q.subject, q.predicate, q.object)
        if isinstance(t, NamedNode)
    }
    for q in quads:
        if not isinstance(q.object, Literal) or not _plain_string(q.object):
            continue
        text = q.object.value
        if text not in iris:
            continue
        held = client.ask(
            f"ASK {{ GRAPH ?g {{ {{ <{text}> ?p ?o }} UNION {{ ?s ?p <{text}> }} }} }}"
        )
        if not held:
            raise RemoteStoreLimitError(
                f'{engine_name} may keep the string "{text}" as the IRI <{text}>, which the '
                "same write holds and the store does not yet: it stores a plain string whose "
                "text is an IRI new to it and written with it as that IRI. Parley refuses the "
                "write rather than store a value it did not validate: write the IRI first, "
                "in a write of its own, then the string",
                subject=str(q.subject),
                predicate=str(q.predicate),
                string=text,
            )


def refuse_converted_datatypes(
    insert: Iterable[Quad], converted: tuple[str, ...], engine_name: str
) -> None:
    """Raise ``RemoteStoreLimitError`` when the change writes a literal of a datatype the
    store keeps as another (``Engine.converted_datatypes``; Virtuoso 7: GeoSPARQL's
    ``wktLiteral`` reads back as its own ``virtrdf:Geometry``)."""
    for q in insert:
        datatype = q.object.datatype if isinstance(q.object, Literal) else None
        if datatype is not None and datatype.value in converted:
            raise RemoteStoreLimitError(
                f"{engine_name} keeps a literal of type <{datatype.value}> as a literal of "
                "another type, so it would store another value than the one written. Parley "
                "refuses the write rather than store a value it did not validate",
                subject=str(q.subject),
                predicate=str(q.predicate),
                datatype=datatype.value,
            )


def _plain_string(term: object) -> bool:
    """A string literal without a language tag.

    >>> _plain_string(Literal("x")), _plain_string(Literal("x", language="en"))
    (True, False)
    """
    return isinstance(term, Literal) and term.datatype == XSD.string and term.language is None
