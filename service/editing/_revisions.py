"""An editor's edit and retraction of a claim, through the write gate.

``edit_claim`` builds the new version from the claim form's fields exactly as a new
claim is built (``ClaimBuilder``, the claims' own rules), moves it onto the claim's
IRI and submits the revision (``service.editing._versions``) with the gate's
permission to write ``graph/history``; the gate's refusal comes back as problems by
field, as for ``POST /claims``. ``retract_claim`` submits the retraction.
``claim_form_values`` is the other way round: the claim's current statements as the
form's fields, to open the edit form on them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from service.editing._claim_fields import ClaimFields
from service.editing._claim_results import FieldProblem, problems_from_results
from service.editing._claim_writes import ClaimOutcome, _report
from service.editing._claims import ClaimBuilder, ClaimDraft
from service.editing._editors import Writer
from service.editing._form import form_for
from service.editing._form_model import local_name
from service.editing._versions import home_graph, retraction, revision
from service.errors import ShapeViolationError
from service.gate import WriteGate, WriteOutcome
from service.rdf import (
    DCTERMS,
    OA,
    RDF,
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    Term,
    Triple,
)
from service.store import GraphStore

#: The claim's statements the form makes from its structured parts, besides its fields.
_STRUCTURED_PATHS = ("appearsIn", "hasEvidence", "hasStance", "reportsClaim")


def _text(term: Term | Triple) -> str:
    return "" if isinstance(term, Triple) else term.value


def _moved(term: Term | Triple, old: NamedNode, new: NamedNode) -> Term | Triple:
    """``old`` and ``old#x`` as ``new`` and ``new#x``; anything else as it is."""
    if term == old:
        return new
    if isinstance(term, NamedNode) and term.value.startswith(old.value + "#"):
        return NamedNode(new.value + term.value[len(old.value) :])
    return term


def _onto(draft: ClaimDraft, claim: NamedNode) -> ClaimDraft:
    """The draft (built under a new IRI) as a version of ``claim``."""
    quads = []
    for q in draft.quads:
        s, o = _moved(q.subject, draft.iri, claim), _moved(q.object, draft.iri, claim)
        assert isinstance(s, NamedNode | BlankNode)
        quads.append(Quad(s, q.predicate, o, q.graph_name))
    return replace(draft, iri=claim, quads=quads)


def edit_claim(
    gate: WriteGate,
    claim: NamedNode,
    fields: ClaimFields,
    writer: Writer,
    *,
    dry_run: bool = False,
    when: datetime | None = None,
) -> ClaimOutcome:
    """Check and submit a new version of ``claim`` made from ``fields``.

    :raises ClaimWithdrawnError: the claim was withdrawn (409).
    :raises EntityNotFoundError: no current claim has this IRI (404).
    """
    when = when or datetime.now(UTC)
    with gate.exclusive():
        store = gate.store
        home_graph(store, claim)  # a current claim, or why not
        builder = ClaimBuilder(store, writer=writer.iri, today=when.date())
        draft = _onto(builder.build(fields, identify=False), claim)
        if draft.problems:
            return ClaimOutcome(draft, draft.problems)
        covered = {NamedNode(f.path) for f in builder.form.fields} | {RDF.type}
        change = revision(
            store, claim, draft.quads, agent=NamedNode(writer.iri), when=when, covered=covered
        )
        identifier = next(
            (
                _text(q.object)
                for q in change.insert
                if q.subject == claim and q.predicate == DCTERMS.identifier
            ),
            draft.identifier,
        )
        draft = replace(draft, identifier=identifier)
        try:
            write = gate.submit(
                change,
                agent=writer.iri,
                agent_name=writer.name,
                operation=f"edit claim {identifier}",
                dry_run=dry_run,
                history=True,
            )
        except ShapeViolationError as error:
            problems = problems_from_results(
                _report(error), claim.value, draft.field_names, draft.new_actors
            )
            return ClaimOutcome(draft, problems)
    return ClaimOutcome(draft, [], write)


def retract_claim(
    gate: WriteGate,
    claim: NamedNode,
    reason: str,
    writer: Writer,
    *,
    when: datetime | None = None,
) -> WriteOutcome | FieldProblem:
    """Withdraw ``claim`` with ``reason``; the problem when there is no reason.

    :raises ClaimWithdrawnError: the claim was withdrawn already (409).
    :raises EntityNotFoundError: no current claim has this IRI (404).
    """
    if not reason.strip():
        return FieldProblem("reason", "Say why the claim is withdrawn.")
    with gate.exclusive():
        change = retraction(
            gate.store,
            claim,
            reason=reason,
            agent=NamedNode(writer.iri),
            when=when or datetime.now(UTC),
        )
        identifier = next(
            (
                _text(q.object)
                for q in change.delete
                if q.subject == claim and q.predicate == DCTERMS.identifier
            ),
            claim.value,
        )
        return gate.submit(
            change,
            agent=writer.iri,
            agent_name=writer.name,
            operation=f"withdraw claim {identifier}",
            history=True,
        )


def claim_form_values(store: GraphStore, claim: NamedNode) -> dict[str, list[str]]:
    """The claim's current statements as the claim form's fields (``POST /claims``'s
    names): its fields by the local name of their path, the first evidence span
    (``source``, ``exact``, ``start``, ``end``, ``prefix``, ``suffix``), the stances
    (``stance-toward`` / ``stance-value``) and ``reportsClaim``.

    :raises ClaimWithdrawnError: the claim was withdrawn.
    :raises EntityNotFoundError: no current claim has this IRI.
    """
    vocab = store.vocab
    graph = home_graph(store, claim)
    form = form_for(store, vocab.parley.Claim)
    paths = {f.path: f.name for f in form.fields if not f.structured}
    values: dict[str, list[str]] = {}
    parley = vocab.parley
    for q in store.quads(claim, None, None, graph):
        name = paths.get(q.predicate.value)
        if name is not None:
            values.setdefault(name, []).append(_text(q.object))
            # The claim form takes a language for the label only (``label-lang``).
            if name == "label" and isinstance(q.object, Literal) and q.object.language:
                values.setdefault(f"{name}-lang", []).append(q.object.language)
        elif q.predicate == parley.reportsClaim:
            values["reportsClaim"] = [_text(q.object)]
        elif q.predicate == parley.hasStance and isinstance(q.object, NamedNode):
            toward = next(store.quads(q.object, parley.stanceToward, None, graph), None)
            value = next(store.quads(q.object, parley.stanceValue, None, graph), None)
            if toward is not None and value is not None:
                values.setdefault("stance-toward", []).append(_text(toward.object))
                values.setdefault("stance-value", []).append(local_name(_text(value.object)))
    values.update(_first_span(store, claim, graph))
    return values


def _first_span(store: GraphStore, claim: NamedNode, graph: NamedNode) -> dict[str, list[str]]:
    """The claim's first evidence span (by its start) as the form's quote fields."""
    spans = []
    for link in store.quads(claim, store.vocab.parley.hasEvidence, None, graph):
        ev = link.object
        if not isinstance(ev, NamedNode):
            continue
        found: dict[str, list[str]] = {}
        for q in store.quads(ev, OA.hasSource, None, graph):
            found["source"] = [_text(q.object)]
        for sel in store.quads(ev, OA.hasSelector, None, graph):
            if not isinstance(sel.object, NamedNode):
                continue
            for q in store.quads(sel.object, None, None, graph):
                name = local_name(q.predicate.value)
                if name in ("exact", "start", "end", "prefix", "suffix"):
                    found[name] = [_text(q.object)]
        spans.append(found)
    spans.sort(key=lambda s: int(s["start"][0]) if s.get("start", [""])[0].isdigit() else 0)
    return spans[0] if spans else {}
