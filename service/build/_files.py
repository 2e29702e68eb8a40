"""Reading ``ontology/``, ``shapes/`` and ``data/`` into quads for one base IRI.

Layout of ``data/`` (each directory is a named graph):

- ``data/reference/*.ttl``      -> ``{base}graph/reference``
- ``data/editorial/*.ttl``      -> ``{base}graph/editorial``
- ``data/claims/<slug>/*.ttl``  -> ``{base}graph/claims/<slug>``
- ``data/claims/<slug>/<slug>.txt`` is the full text of the source
  ``{base}id/source/<slug>``; the build adds it as that node's ``schema:text``
  in the source's graph, so offsets are counted in exactly this file.

Relative IRIs are resolved against the base IRI, including the relative
``sh:namespace`` literals of the shapes' prefix declarations (a literal is not
an IRI, so no parser resolves it by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from service.rdf import (
    SCHEMA,
    SH,
    TURTLE,
    XSD,
    BlankNode,
    Format,
    Literal,
    NamedNode,
    Quad,
    Vocab,
    by_suffix,
    parse,
    skolemize,
)


@dataclass(frozen=True)
class ModelFiles:
    """Where the model lives on disk."""

    ontology_dir: Path
    shapes_dir: Path
    data_dir: Path


def rdf_files(directory: Path) -> list[Path]:
    """RDF files below ``directory``, sorted so builds are reproducible."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file() and _format_of(p) is not None)


def _format_of(path: Path) -> Format | None:
    fmt = by_suffix(path.suffix.lstrip("."))
    return fmt if fmt is not None and fmt.kind == "rdf" else None


def parse_file(path: Path, vocab: Vocab, graph: NamedNode) -> list[Quad]:
    """Parse one file into ``graph``, relative IRIs resolved against the base."""
    fmt = _format_of(path) or TURTLE
    return parse(path.read_bytes(), fmt, base_iri=vocab.base, graph=graph, what=str(path))


def load_ontology(files: ModelFiles, vocab: Vocab) -> list[Quad]:
    """The ontology and the local copies of external axioms, in ``graph/ontology``."""
    quads: list[Quad] = []
    for path in rdf_files(files.ontology_dir):
        quads.extend(parse_file(path, vocab, vocab.ontology_graph))
    return quads


def load_shapes(files: ModelFiles, vocab: Vocab) -> list[Quad]:
    """The SHACL shapes, in ``graph/shapes``, with relative namespaces resolved."""
    quads: list[Quad] = []
    for path in rdf_files(files.shapes_dir):
        quads.extend(parse_file(path, vocab, vocab.shapes_graph))
    return name_property_shapes([resolve_namespace_literal(q, vocab) for q in quads])


def name_property_shapes(quads: list[Quad]) -> list[Quad]:
    """Give blank property shapes IRIs: ``{NodeShape}-{path}`` (``-2``, ... when repeated).

    A validation result names its ``sh:sourceShape``; a blank node there tells a
    reader nothing, ``shapes#ClaimShape-claimant`` tells them which constraint.

    >>> g, p = NamedNode("http://h/g"), NamedNode("http://h/ontology#claimant")
    >>> shape, prop = NamedNode("http://h/shapes#ClaimShape"), BlankNode("b")
    >>> named = name_property_shapes([Quad(shape, SH.property, prop, g), Quad(prop, SH.path, p, g)])
    >>> named[0].object.value
    'http://h/shapes#ClaimShape-claimant'
    """
    paths = {q.subject: q.object for q in quads if q.predicate == SH.path}
    names: dict[BlankNode, NamedNode] = {}
    taken: set[str] = set()
    for q in quads:
        if q.predicate != SH.property or not isinstance(q.subject, NamedNode):
            continue
        if not isinstance(q.object, BlankNode) or q.object in names:
            continue
        path = paths.get(q.object)
        local = (
            path.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            if isinstance(path, NamedNode)
            else "path"
        )
        name, n = f"{q.subject.value}-{local}", 2
        while name in taken:
            name, n = f"{q.subject.value}-{local}-{n}", n + 1
        taken.add(name)
        names[q.object] = NamedNode(name)

    def rename(term: object) -> object:
        return names.get(term, term) if isinstance(term, BlankNode) else term

    return [Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name) for q in quads]  # type: ignore[arg-type]


def resolve_namespace_literal(quad: Quad, vocab: Vocab) -> Quad:
    """Resolve a relative ``sh:namespace`` literal against the base IRI.

    >>> v = Vocab("http://h/")
    >>> q = Quad(BlankNode("d"), SH.namespace, Literal("ontology#", datatype=XSD.anyURI))
    >>> resolve_namespace_literal(q, v).object.value
    'http://h/ontology#'
    """
    obj = quad.object
    if quad.predicate == SH.namespace and isinstance(obj, Literal) and ":" not in obj.value:
        iri = urljoin(vocab.base, obj.value)
        if obj.value.endswith("#") and not iri.endswith("#"):
            iri += "#"  # urljoin drops an empty fragment; a namespace needs its '#'
        resolved = Literal(iri, datatype=XSD.anyURI)
        return Quad(quad.subject, quad.predicate, resolved, quad.graph_name)
    return quad


def data_graph_for(path: Path, data_dir: Path, vocab: Vocab) -> NamedNode:
    """The named graph a data file belongs to, from its directory.

    >>> v = Vocab("http://h/")
    >>> data_graph_for(Path("data/claims/article/claims.ttl"), Path("data"), v).value
    'http://h/graph/claims/article'
    >>> data_graph_for(Path("data/reference/events.ttl"), Path("data"), v).value
    'http://h/graph/reference'
    """
    parts = path.relative_to(data_dir).parts[:-1]
    if not parts:
        raise ValueError(
            f"{path}: data files live in a graph directory (reference/, claims/<source>/, ...)"
        )
    return vocab.graph("/".join(parts))


def load_data(files: ModelFiles, vocab: Vocab) -> list[Quad]:
    """Every data file in its graph, plus each source's text; blank nodes skolemised."""
    quads: list[Quad] = []
    for path in rdf_files(files.data_dir):
        graph = data_graph_for(path, files.data_dir, vocab)
        quads.extend(parse_file(path, vocab, graph))
    quads.extend(source_texts(files.data_dir, vocab))
    return skolemize(quads, vocab)


def source_texts(data_dir: Path, vocab: Vocab) -> list[Quad]:
    """``schema:text`` of each source, read from ``claims/<slug>/<slug>.txt``."""
    quads = []
    claims_dir = data_dir / "claims"
    if not claims_dir.is_dir():
        return []
    for source_dir in sorted(p for p in claims_dir.iterdir() if p.is_dir()):
        slug = source_dir.name
        text_file = source_dir / f"{slug}.txt"
        if text_file.is_file():
            text = text_file.read_text(encoding="utf-8")
            source = vocab.id["source/" + slug]
            quads.append(Quad(source, SCHEMA.text, Literal(text), vocab.claims_graph(slug)))
    return quads
