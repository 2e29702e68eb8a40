"""An editor's review of a claim, from the review form's fields, through the write gate.

The form is generated from the review's shapes (``parley:ClaimReview``: the two verdicts,
the body, the sources, the note, ...) as the claim form is; the claim reviewed and the
author are the server's to set (``structured``). A review is written as
``data/editorial/reviews.ttl`` writes one, in ``graph/editorial``: ``review:C17`` for
the first review of C17, ``review:C17-2`` for a second (an editor may review a claim
again; the first review stays), labelled "Editorial review of C17", by the editor
(``schema:author``, a ``parley:Editor``: the editor is stated as one, with their name,
the first time they review), dated today unless the form gives a date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.editing._claim_results import FieldProblem, problems_from_results
from service.editing._claim_writes import _report
from service.editing._editors import Writer
from service.editing._form import form_for
from service.editing._form_model import Form
from service.editing._form_values import triples_from_fields
from service.editing._versions import home_graph
from service.errors import ShapeViolationError
from service.gate import WriteGate, WriteOutcome
from service.rdf import DCTERMS, RDF, RDFS, SCHEMA, XSD, Literal, NamedNode, Quad
from service.store import ChangeSet, GraphStore

#: Review fields the server sets: the claim reviewed, and the author (the editor).
STRUCTURED = frozenset({"reviews", "author"})
#: What a form post carries besides the review's fields.
NOT_FIELDS = frozenset({"claim", "csrf_token", "dry-run"})


def review_form(store: GraphStore) -> Form:
    """The review form, from the shapes of ``parley:ClaimReview``."""
    return form_for(store, store.vocab.parley.ClaimReview, structured=STRUCTURED)


@dataclass
class ReviewOutcome:
    """What became of a review: written (or, for a dry run, writable), or why not."""

    iri: NamedNode
    problems: list[FieldProblem] = field(default_factory=list)
    write: WriteOutcome | None = None

    @property
    def conforms(self) -> bool:
        return not self.problems

    def results(self) -> list[dict[str, Any]]:
        return [p.to_json(self.iri.value) for p in self.problems]


def claim_identifier(store: GraphStore, claim: NamedNode) -> str:
    """The claim's ``dcterms:identifier`` (``C17``), else its IRI's last segment."""
    for q in store.quads(claim, DCTERMS.identifier, None, None):
        if isinstance(q.object, Literal):
            return q.object.value
    return claim.value.rstrip("/").rsplit("/", 1)[-1]


def review_iri(store: GraphStore, claim: NamedNode) -> NamedNode:
    """``review:<identifier>``, or ``-2``, ``-3``... when the claim has reviews already."""
    stem = store.vocab.id["review/" + claim_identifier(store, claim)].value
    n = 1
    while True:
        iri = NamedNode(stem if n == 1 else f"{stem}-{n}")
        taken = next(store.quads(iri, None, None, None), None) is not None
        if not taken:
            return iri
        n += 1


def add_review(
    gate: WriteGate,
    claim: NamedNode,
    values: Mapping[str, Sequence[str]],
    writer: Writer,
    *,
    today: date,
    dry_run: bool = False,
) -> ReviewOutcome:
    """Check and submit a review of ``claim`` made from the review form's ``values``.

    :raises ClaimWithdrawnError: the claim was withdrawn (409).
    :raises EntityNotFoundError: no current claim has this IRI (404).
    """
    with gate.exclusive():
        store = gate.store
        vocab = store.vocab
        home_graph(store, claim)  # a current claim, or why not
        form = review_form(store)
        iri = review_iri(store, claim)
        given = {k: [v for v in vs if v] for k, vs in values.items() if k not in NOT_FIELDS}
        problems = [
            FieldProblem(name, f"{name} is not a field of a review.")
            for name in sorted(set(given) - set(form.names))
            if not name.endswith("-lang")
        ]
        triples, errors = triples_from_fields(form, iri, given, vocab)
        problems += [FieldProblem(e.field, e.message) for e in errors]
        if problems:
            return ReviewOutcome(iri, problems)
        graph = vocab.editorial_graph
        parley = vocab.parley
        editor = NamedNode(writer.iri)
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        identifier = claim_identifier(store, claim)
        nth = iri.value.rsplit("-", 1)[-1] if iri.value.rsplit("/", 1)[-1] != identifier else ""
        label = f"Editorial review of {identifier}" + (f" ({nth})" if nth.isdigit() else "")
        quads += [
            Quad(iri, RDF.type, parley.ClaimReview, graph),
            Quad(iri, RDFS.label, Literal(label, language="en"), graph),
            Quad(iri, parley.reviews, claim, graph),
            Quad(iri, SCHEMA.author, editor, graph),
        ]
        if not any(q.predicate == SCHEMA.datePublished for q in quads):
            quads.append(
                Quad(
                    iri, SCHEMA.datePublished, Literal(today.isoformat(), datatype=XSD.date), graph
                )
            )
        if next(store.quads(editor, RDF.type, parley.Editor, None), None) is None:
            quads += [
                Quad(editor, RDF.type, parley.Editor, graph),
                Quad(editor, RDFS.label, Literal(writer.name), graph),
            ]
        try:
            write = gate.submit(
                ChangeSet(insert=quads),
                agent=writer.iri,
                agent_name=writer.name,
                operation=f"review claim {claim_identifier(store, claim)}",
                dry_run=dry_run,
            )
        except ShapeViolationError as error:
            names = set(form.names) | {g.name for g in form.one_of}
            return ReviewOutcome(iri, problems_from_results(_report(error), iri.value, names))
    return ReviewOutcome(iri, [], write)
