"""A form generated from the SHACL shapes, and the triples an editor's fields make.

The claim form, the review form and any other editing form are read from ``graph/shapes``,
never written by hand: each property shape of the target class becomes a field (its name is
the local name of ``sh:path``), ``sh:in`` a choice, ``sh:class`` a picker over existing
instances, ``sh:datatype`` the matching input, ``sh:minCount >= 1`` a required field,
``sh:maxCount 1`` a single value, ``sh:name`` / ``sh:description`` / ``sh:message`` the
label, help and error text, ``sh:order`` / ``sh:group`` the order. A property shape added
to ``shapes/`` therefore appears in the form, and ``triples_from_fields`` writes it, with no
code changed.

The shapes are read with one CONSTRUCT of the shapes graph (blank nodes keep their identity
within one answer, on the embedded and the remote store alike) and kept per store version.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from service.editing._form_model import (
    DASH_EDITOR,
    DASH_TEXTAREA,
    KIND_OF_DATATYPE,
    STRUCTURED_NAMES,
    UNORDERED,
    Choice,
    Field,
    FieldKind,
    Form,
    OneOf,
    local_name,
)
from service.editing._form_values import triples_from_fields
from service.editing._shapes_graph import Node, ShapesGraph, number_of, read_shapes, text_of
from service.pages import Labels
from service.rdf import RDF, RDFS, SH, NamedNode, Term
from service.store import GraphStore

__all__ = ["form_for", "form_for_shape", "triples_from_fields"]


def _classes(store: GraphStore, target: NamedNode) -> tuple[set[str], set[str]]:
    """The target class with its superclasses, and its strict subclasses."""
    t = str(target)
    up = store.select(f"SELECT DISTINCT ?c WHERE {{ {t} rdfs:subClassOf* ?c }}")
    down = store.select(f"SELECT DISTINCT ?c WHERE {{ ?c rdfs:subClassOf+ {t} }}")
    supers = {r["c"].value for r in up if isinstance(r.get("c"), NamedNode)} | {target.value}
    subs = {r["c"].value for r in down if isinstance(r.get("c"), NamedNode)} - supers
    return supers, subs


def _domains(store: GraphStore, predicates: Iterable[Term]) -> dict[str, set[str]]:
    values = " ".join(str(p) for p in predicates if isinstance(p, NamedNode))
    if not values:
        return {}
    rows = store.select(f"SELECT ?p ?d WHERE {{ VALUES ?p {{ {values} }} ?p rdfs:domain ?d }}")
    out: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if isinstance(r.get("p"), NamedNode) and isinstance(r.get("d"), NamedNode):
            out[r["p"].value].add(r["d"].value)
    return out


def _node_shapes(store: GraphStore, g: ShapesGraph, target: NamedNode) -> list[tuple[Node, bool]]:
    """The node shapes whose property shapes make the form, each with whether its fields
    are optional whatever their ``sh:minCount`` (a subclass's shape, ``parley:ReportClaim``
    for a claim: its fields make the claim one of the subclass)."""
    supers, subs = _classes(store, target)
    found: list[tuple[Node, bool]] = []
    for c in sorted(supers | subs):
        for shape in g.subjects(SH.targetClass, NamedNode(c)):
            found.append((shape, c in subs))
    # Shapes that target the subjects of a predicate whose domain is the class (the
    # positions on propositions, the relations between claims): optional by nature.
    by_predicate = g.pairs(SH.targetSubjectsOf)
    domains = _domains(store, {o for _, o in by_predicate})
    for shape, predicate in by_predicate:
        known = any(shape == s for s, _ in found)
        if (
            not known
            and isinstance(predicate, NamedNode)
            and domains.get(predicate.value, set()) & supers
        ):
            found.append((shape, True))
    return found


@dataclass
class _Draft:
    """What one property shape says, before it becomes a field."""

    path: str
    label: str | None = None
    help: str | None = None
    message: str | None = None
    min_count: int = 0
    max_count: int | None = None
    members: list[str] = field(default_factory=list)
    picker_class: str | None = None
    datatypes: list[str] = field(default_factory=list)
    iri: bool = False
    structured: bool = False
    textarea: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_inclusive: int | None = None
    order: float = UNORDERED
    group: str | None = None
    group_order: float = UNORDERED
    group_help: str | None = None


def _constraints(g: ShapesGraph, ps: Term, d: _Draft) -> None:
    """Read the value constraints of ``ps`` (or of one ``sh:or`` alternative) into ``d``."""
    for dt_ in g.objects(ps, SH.datatype):
        if isinstance(dt_, NamedNode) and dt_.value not in d.datatypes:
            d.datatypes.append(dt_.value)
    if (cls := g.one(ps, SH["class"])) is not None and isinstance(cls, NamedNode):
        d.picker_class = d.picker_class or cls.value
    if (members := g.one(ps, SH["in"])) is not None:
        d.members = [m.value for m in g.items(members) if isinstance(m, NamedNode)]
    if g.one(ps, SH.nodeKind) in (SH.IRI, SH.BlankNodeOrIRI):
        d.iri = True
    if g.one(ps, SH.node) is not None or g.one(ps, SH.qualifiedValueShape) is not None:
        d.structured = True
    for p, attr in (
        (SH.minLength, "min_length"),
        (SH.maxLength, "max_length"),
        (SH.minInclusive, "min_inclusive"),
    ):
        if (n := number_of(g, ps, p)) is not None:
            setattr(d, attr, int(n))
    for alternative in g.items(g.one(ps, SH["or"])):
        _constraints(g, alternative, d)


def _draft(g: ShapesGraph, ps: Term, path: str) -> _Draft:
    d = _Draft(path=path)
    d.label = text_of(g, ps, SH.name)
    d.help = text_of(g, ps, SH.description)
    d.message = text_of(g, ps, SH.message)
    d.min_count = int(number_of(g, ps, SH.minCount) or 0)
    if (n := number_of(g, ps, SH.maxCount)) is not None:
        d.max_count = int(n)
    if text_of(g, ps, SH.uniqueLang) == "true":  # one value per language: the form sends one
        d.max_count = 1
    d.order = number_of(g, ps, SH.order) or UNORDERED
    if (grp := g.one(ps, SH.group)) is not None:
        d.group = text_of(g, grp, RDFS.label) or local_name(str(grp))
        d.group_order = number_of(g, grp, SH.order) or UNORDERED
        d.group_help = text_of(g, grp, SH.description) or text_of(g, grp, RDFS.comment)
    d.textarea = g.one(ps, DASH_EDITOR) == DASH_TEXTAREA
    _constraints(g, ps, d)
    return d


def _merge(into: _Draft, other: _Draft) -> None:
    """Two property shapes with one path (a class's and its superclass's): the stricter of
    each constraint, the first label."""
    into.label = into.label or other.label
    into.help = into.help or other.help
    into.message = into.message or other.message
    into.min_count = max(into.min_count, other.min_count)
    if other.max_count is not None:
        into.max_count = min(into.max_count or other.max_count, other.max_count)
    into.members = into.members or other.members
    into.picker_class = into.picker_class or other.picker_class
    into.datatypes = into.datatypes or other.datatypes
    into.iri = into.iri or other.iri
    into.structured = into.structured or other.structured
    into.order = min(into.order, other.order)


def _kind(d: _Draft) -> FieldKind:
    if d.members:
        return "choice"
    if d.picker_class:
        return "picker"
    # An sh:or of datatypes of one kind (xsd:integer or xsd:nonNegativeInteger) is that
    # kind; of several (xsd:date or xsd:gYearMonth or xsd:gYear) a text the value's form
    # decides (service.editing._form_values).
    kinds = {KIND_OF_DATATYPE.get(datatype, "text") for datatype in d.datatypes}
    if kinds:
        kind: FieldKind = kinds.pop() if len(kinds) == 1 else "text"
        return "textarea" if kind == "text" and d.textarea else kind
    if d.iri:
        return "iri"
    return "textarea" if d.textarea else "text"


def _label_rows(store: GraphStore, iris: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The label and definition of each IRI (``rdfs:label`` / ``skos:prefLabel``)."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    labels = Labels(store, store.vocab)
    labels.fetch([NamedNode(i) for i in wanted])
    values = " ".join(f"<{i}>" for i in wanted)
    rows = store.select(
        f"SELECT ?x ?d WHERE {{ VALUES ?x {{ {values} }} ?x skos:definition ?d "
        'FILTER (LANG(?d) = "en" || LANG(?d) = "") }'
    )
    definitions = {r["x"].value: r["d"].value for r in rows if "d" in r}
    return {i: (labels.view(NamedNode(i)).text, definitions.get(i, "")) for i in wanted}


#: What a form is read from: ("class", class IRI) or ("shape", node shape IRI), and the
#: names of more structured fields.
_Key = tuple[str, str, frozenset[str]]


def _capital(text: str) -> str:
    """A property's label as a field's ("about actor" -> "About actor")."""
    return text[:1].upper() + text[1:]


def _build(store: GraphStore, key: _Key) -> Form:
    source, target_iri, extra_structured = key
    target = NamedNode(target_iri)
    g = read_shapes(store)
    shapes = [(target, False)] if source == "shape" else _node_shapes(store, g, target)
    drafts: dict[str, _Draft] = {}
    optional_paths: set[str] = set()
    one_of: list[OneOf] = []
    alternatives: list[tuple[list[str], _Draft]] = []
    form_label = local_name(target_iri)
    for shape, optional in shapes:
        if not optional:
            form_label = text_of(g, shape, RDFS.label) or form_label
        for ps in g.objects(shape, SH.property):
            path = g.one(ps, SH.path)
            if isinstance(path, NamedNode):
                d = _draft(g, ps, path.value)
                if path.value in drafts:
                    _merge(drafts[path.value], d)
                else:
                    drafts[path.value] = d
                if optional:
                    optional_paths.add(path.value)
            elif path is not None:
                paths = [
                    p.value
                    for p in g.items(g.one(path, SH.alternativePath))
                    if isinstance(p, NamedNode)
                ]
                if paths:
                    alternatives.append((paths, _draft(g, ps, "")))
    for paths, d in alternatives:
        # Each alternative without a shape of its own becomes an optional field with the
        # alternative's constraints and help (the relations between claims), labelled by its
        # property; a minimum count is a constraint on the fields together (a claim is about
        # an actor, an event or a place).
        constrained = bool(d.picker_class or d.members or d.datatypes or d.iri)
        for index, p in enumerate(paths):
            if p not in drafts and constrained:
                drafts[p] = _Draft(
                    path=p,
                    message=d.message,
                    picker_class=d.picker_class,
                    members=d.members,
                    datatypes=d.datatypes,
                    iri=d.iri,
                    order=d.order + index / 100,
                    group=d.label,
                    group_help=d.help,
                )
                optional_paths.add(p)
        if d.min_count > 0:
            names = tuple(local_name(p) for p in paths if p in drafts)
            one_of.append(
                OneOf(
                    local_name(paths[0]),
                    names,
                    d.min_count,
                    d.message or "",
                    label=d.label or local_name(paths[0]),
                    help=d.help or "",
                )
            )
    labels = _label_rows(store, [m for d in drafts.values() for m in d.members] + list(drafts))
    fields = []
    for d in drafts.values():
        name = local_name(d.path)
        kind = _kind(d)
        langs = RDF.langString.value in d.datatypes
        fields.append(
            Field(
                name=name,
                path=d.path,
                label=d.label or _capital(labels.get(d.path, (name, ""))[0]),
                help=d.help or "",
                message=d.message or "",
                kind=kind,
                required=d.min_count >= 1 and d.path not in optional_paths,
                many=d.max_count != 1,
                order=d.order,
                choices=tuple(
                    Choice(m, local_name(m), *labels.get(m, (local_name(m), ""))) for m in d.members
                ),
                picker_class=d.picker_class if kind == "picker" else None,
                datatypes=tuple(d.datatypes),
                language="en" if langs else None,
                min_length=d.min_length,
                max_length=d.max_length,
                min_inclusive=d.min_inclusive,
                group=d.group,
                group_order=d.group_order,
                group_help=d.group_help or "",
                structured=d.structured or name in STRUCTURED_NAMES or name in extra_structured,
            )
        )
    fields.sort(key=lambda f: (f.group_order, f.order, f.name))
    return Form(target_iri, form_label, tuple(fields), tuple(one_of))


class _PerVersion:
    """Forms kept for the store's current version: the shapes change only with a rebuild,
    but every write changes the version, and labels of choices may change with a write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: GraphStore | None = None
        self._version = -1
        self._kept: dict[_Key, Form] = {}

    def __call__(self, store: GraphStore, key: _Key) -> Form:
        version = store.version()
        with self._lock:
            if self._store is store and self._version == version and key in self._kept:
                return self._kept[key]
        form = _build(store, key)
        if store.version() == version:  # no write landed meanwhile
            with self._lock:
                if self._store is not store or self._version != version:
                    self._store, self._version, self._kept = store, version, {}
                self._kept[key] = form
        return form


_forms = _PerVersion()


def form_for(store: GraphStore, target_class: NamedNode, *, structured: Iterable[str] = ()) -> Form:
    """The form for instances of ``target_class``, read from ``graph/shapes`` (kept per
    store version). ``structured`` names more fields the caller builds itself (the review
    form's ``reviews`` and ``author``)."""
    return _forms(store, ("class", target_class.value, frozenset(structured)))


def form_for_shape(store: GraphStore, shape: NamedNode) -> Form:
    """The form of one node shape's property shapes: a part of a form that no class
    targets (``psh:StanceShape``, reached through ``sh:node``)."""
    return _forms(store, ("shape", shape.value, frozenset()))
