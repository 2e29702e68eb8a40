"""A claim's fields made into the quads of a claim, as ``data/README.md`` writes one.

The model is C17 in ``data/claims/article/claims.ttl``: ``{base}id/claim/<slug>`` in
the graph of its source, ``dcterms:identifier`` the next free ``C<n>``, a neutral
``rdfs:label``, the claimant, ``appearsIn``, modality, type, what it is about, the
stances (``#stance-<actor>``, each actor also in ``aboutActor``) and the evidence
spans (``#evidence-n`` with a ``#quote-n`` TextQuoteSelector and a ``#position-n``
TextPositionSelector). The plain, shape-driven fields become triples through the
form read from the shapes (``triples_from_fields``), so a property shape added to
``shapes/`` is written with no code changed; this module builds the structured parts
around them: the evidence, stances, reported speech (``parley:ReportClaim``),
relations to other claims (in ``graph/editorial`` with their ``rdf:Statement``, as
``data/editorial/relations.ttl`` states them) and a new actor named inline
(``graph/reference``). Nothing here writes: the caller submits the quads to the gate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from service.editing._claim_evidence import Evidence, QuotedSource, resolve_span, source_text
from service.editing._claim_fields import NEW_ACTOR, ClaimFields, Span
from service.editing._claim_names import Names, UnknownNameError, local_name
from service.editing._claim_parts import ClaimParts, relation_quads
from service.editing._claim_results import FieldProblem
from service.editing._form import form_for
from service.editing._form_model import Form
from service.editing._form_values import triples_from_fields
from service.rdf import DCTERMS, PROV, RDF, RDFS, Literal, NamedNode, Quad, Vocab
from service.store import GraphStore

_MARK_THE_QUOTE = "Mark the quote: give its words, or start and end."
#: Characters of the quote a generated label keeps.
_LABEL_CHARS = 90


@dataclass
class ClaimDraft:
    """A claim ready for the gate, or what stops it (``problems``)."""

    iri: NamedNode
    identifier: str
    quads: list[Quad] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    #: The actors it creates inline (their IRIs), for mapping the gate's answer.
    new_actors: list[str] = field(default_factory=list)
    #: The names of the form's fields (and groups), for mapping the gate's answer.
    field_names: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return not self.problems


def slug_words(text: str, words: int = 6) -> str:
    """An ascii kebab-case slug of the first ``words`` words of ``text``.

    >>> slug_words("Russian sovereignty over Crimea and Donbas is not up for negotiation")
    'russian-sovereignty-over-crimea-and-donbas'
    >>> slug_words("«Ça» — n'est pas"), slug_words("!!!")
    ('ca-nest-pas', '')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    found = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", ""))
    return "-".join(found[:words])[:60].strip("-")


def camel_case(label: str) -> str:
    """An entity's local name from its label, as the data names them (``id:RussianGov``).

    >>> camel_case("European Council on Foreign Relations"), camel_case("3 ñ")
    ('EuropeanCouncilOnForeignRelations', 'A3N')
    """
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    name = "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", ascii_text))
    return name if name[:1].isalpha() else "A" + name


def generated_label(claimant: str, exact: str) -> str:
    """ "<claimant>: <the quote's start>", with a speaker ``split_speaker`` recognises (no
    colon, parenthesis or sentence end in it) and the quote not repeating the claimant.

    >>> generated_label("Vladimir Putin", "Vladimir Putin says peace is near.")
    'Vladimir Putin: says peace is near.'
    >>> generated_label("Author of the article (unnamed)", "x" * 100)[:32]
    'Author of the article (unnamed):'
    """
    speaker = re.sub(r"[:?!.\n]+", " ", claimant).strip() or "Unnamed claimant"
    speaker = speaker[:60]
    words = exact.strip()
    if words.casefold().startswith(speaker.casefold()):
        words = words[len(speaker) :].lstrip(" ,:;—-")
    if len(words) > _LABEL_CHARS:
        cut = words[:_LABEL_CHARS].rsplit(" ", 1)[0]
        words = cut.rstrip(" ,;:") + "…"
    if "(" in speaker and not re.fullmatch(r"[^()]+\([^()]+\)", speaker):
        speaker = speaker.replace("(", "").replace(")", "")
    return f"{speaker}: {words}"


class ClaimBuilder:
    """Builds claims for one store: identifiers, slugs and names kept across a batch.

    Make one per request (or batch) while holding the writer's lock when the claims are
    to be written: the identifier is the store's largest ``C<n>`` plus one, and two
    writers must not both take it.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        writer: str,
        today: date,
        names: Names | None = None,
        pending_sources: Iterable[QuotedSource] = (),
    ) -> None:
        self.store = store
        self.vocab: Vocab = store.vocab
        self.writer = writer
        self.today = today
        self.names = names or Names(store, self.vocab)
        self.form: Form = form_for(store, self.vocab.parley.Claim)
        self._sources = {s.iri.value: s for s in pending_sources}
        self._taken: set[str] = set()
        self._next: int | None = None

    # -- identity ----------------------------------------------------------------------

    def next_identifier(self) -> str:
        """The next free ``C<n>`` (zero-padded to two digits, as C01-C99 are): one query for
        the largest number in any graph (withdrawn claims' included), then counted here."""
        if self._next is None:
            rows = self.store.select(
                "SELECT (MAX(?n) AS ?max) WHERE { "
                "{ ?c dcterms:identifier ?id } UNION { GRAPH ?g { ?c dcterms:identifier ?id } } "
                'FILTER(isLiteral(?id) && REGEX(STR(?id), "^C[0-9]{1,9}$")) '
                "BIND(xsd:integer(SUBSTR(STR(?id), 2)) AS ?n) }"
            )
            found = rows[0].get("max") if rows else None
            self._next = int(found.value) + 1 if found is not None else 1
        number, self._next = self._next, self._next + 1
        return f"C{number:02d}"

    def _unique(self, namespace: str, stem: str, sep: str = "-") -> NamedNode:
        n = 1
        while True:
            iri = NamedNode(f"{namespace}{stem}{'' if n == 1 else f'{sep}{n}'}")
            if iri.value not in self._taken and not self.names.exists(iri):
                self._taken.add(iri.value)
                return iri
            n += 1

    # -- the claim -----------------------------------------------------------------------

    def build(
        self,
        fields: ClaimFields,
        *,
        identify: bool = True,
        iri: NamedNode | None = None,
        identifier: str | None = None,
    ) -> ClaimDraft:
        """The claim's quads, or its problems by field. ``identify=False`` (a dry run)
        takes no identifier number; ``iri`` and ``identifier`` keep an existing claim's (a
        new version of it)."""
        problems: list[FieldProblem] = []
        source = self._source(fields, problems)
        spans = [self._span(s, source, n, problems) for n, s in enumerate(fields.spans, 1)]
        if source is not None and not fields.spans:
            problems.append(FieldProblem("exact", _MARK_THE_QUOTE))
        label = fields.first("label")
        words = label or next((s.exact for s in spans if s is not None), "")
        if iri is None:
            stem = slug_words(words.split(": ", 1)[-1] if label else words) or "claim"
            iri = self._unique(self.vocab.id["claim/"].value, stem)
        if identifier is None:
            identifier = self.next_identifier() if identify else "C00"
        graph = source.graph if source else self.vocab.graph("claims/unknown")
        parts = ClaimParts(self.vocab, iri, graph)
        new_actor = self._new_actor(fields, source, parts, problems)
        values = {k: list(v) for k, v in fields.properties.items()}
        self._about(fields, values, problems)
        for stance in fields.stances:
            self._stance(stance.toward, stance.value, new_actor, parts, values, problems)
        self._resolve_values(values, problems)
        if not label and values.get("claimant") and spans and spans[0] is not None:
            claimant = self._label_of(values["claimant"][0])
            values["label"] = [generated_label(claimant, spans[0].exact)]
        subject = parts.claim
        triples, errors = triples_from_fields(
            self.form, subject, values, self.vocab, new_actor=new_actor
        )
        if not label and "label" not in values:  # made from the claimant and the quote
            errors = [e for e in errors if e.field != "label"]
        flagged = {p.field for p in problems}  # one message a field: the first found
        problems += [FieldProblem(e.field, e.message) for e in errors if e.field not in flagged]
        known = {*self.form.names, *(f"{name}-lang" for name in self.form.names)}
        unknown = set(values) - known
        problems += [FieldProblem(n, f"{n} is not a field of a claim.") for n in sorted(unknown)]
        parts.add(subject, RDF.type, self.vocab.parley.Claim)
        parts.add(subject, DCTERMS.identifier, Literal(identifier))
        if source is not None:
            parts.add(subject, self.vocab.parley.appearsIn, source.iri)
        for t in triples:
            parts.add(t.subject, t.predicate, t.object)  # type: ignore[arg-type]
        for n, span in enumerate(spans, 1):
            if span is not None and source is not None:
                parts.evidence(n, source.iri, span)
        if fields.reports_claim:
            reported = self._iri(fields.reports_claim, "reportsClaim", problems)
            if reported is not None:
                parts.add(subject, RDF.type, self.vocab.parley.ReportClaim)
                parts.add(subject, self.vocab.parley.reportsClaim, reported)
        for relation, others in fields.relations.items():
            for other in others:
                target = self._iri(other, relation, problems)
                if target is not None:
                    parts.quads += relation_quads(
                        self.vocab, subject, relation, target, self.writer, self.today,
                        fields.relation_note,
                    )  # fmt: skip
        return ClaimDraft(
            iri=subject,
            identifier=identifier,
            quads=parts.quads,
            problems=problems,
            new_actors=[new_actor.value] if new_actor is not None else [],
            field_names=frozenset(self.form.names) | {g.name for g in self.form.one_of},
        )

    # -- the parts -------------------------------------------------------------------------

    def _source(self, fields: ClaimFields, problems: list[FieldProblem]) -> QuotedSource | None:
        if not fields.source:
            problems.append(FieldProblem("source", "Say which source the claim appears in."))
            return None
        iri = self._iri(fields.source, "source", problems)
        if iri is None:
            return None
        found = self._sources.get(iri.value) or source_text(self.store, iri)
        if found is None:
            problems.append(
                FieldProblem("source", f"<{iri.value}> is not a source with a text to quote.")
            )
        return found

    def _span(
        self, span: Span, source: QuotedSource | None, n: int, problems: list[FieldProblem]
    ) -> Evidence | None:
        if source is None:
            return None
        found = resolve_span(span, source, n)
        if isinstance(found, FieldProblem):
            problems.append(found)
            return None
        return found

    def _iri(self, value: str, field_name: str, problems: list[FieldProblem]) -> NamedNode | None:
        try:
            return self.names.iri(value)
        except UnknownNameError as error:
            problems.append(FieldProblem(field_name, str(error)))
            return None

    def _resolve_values(self, values: dict[str, list[str]], problems: list[FieldProblem]) -> None:
        """Names made IRIs for the form's pickers and choices (labels, local names)."""
        for name, given in values.items():
            f = self.form.field(name)
            if f is None or f.is_literal:
                continue
            resolved = []
            for value in given:
                if not value or value == NEW_ACTOR:
                    resolved.append(value)
                elif f.kind == "choice":
                    try:
                        resolved.append(self.names.choice(value, NamedNode(f.path)).value)
                    except UnknownNameError as error:
                        problems.append(FieldProblem(name, str(error)))
                else:
                    iri = self._iri(value, name, problems)
                    if iri is not None:
                        resolved.append(iri.value)
            values[name] = resolved

    def _about(
        self, fields: ClaimFields, values: dict[str, list[str]], problems: list[FieldProblem]
    ) -> None:
        """``about`` names sorted into ``aboutActor``/``aboutEvent``/``aboutPlace`` by type."""
        parley = self.vocab.parley
        kinds = (
            ("aboutActor", {parley.Agent.value, PROV.Agent.value}),
            ("aboutEvent", {parley.Event.value}),
            ("aboutPlace", {parley.Place.value}),
        )
        for name in fields.about:
            iri = self._iri(name, "about", problems)
            if iri is None:
                continue
            types = self.names.types(iri)
            target = next((field for field, classes in kinds if types & classes), None)
            if target is None:
                problems.append(
                    FieldProblem("about", f"{name!r} is not an actor, an event or a place.")
                )
            elif iri.value not in values.setdefault(target, []):
                values[target].append(iri.value)

    def _stance(
        self,
        toward: str,
        value: str,
        new_actor: NamedNode | None,
        parts: ClaimParts,
        values: dict[str, list[str]],
        problems: list[FieldProblem],
    ) -> None:
        actor = new_actor if toward == NEW_ACTOR else self._iri(toward, "stance-toward", problems)
        if not toward:
            problems.append(FieldProblem("stance-toward", "Say which actor the stance is toward."))
        try:
            stance_value = self.names.choice(value, self.vocab.parley.stanceValue)
        except UnknownNameError as error:
            problems.append(FieldProblem("stance-value", str(error)))
            return
        if actor is None:
            return
        parts.stance(actor, stance_value)
        if actor.value not in values.setdefault("aboutActor", []) and (
            toward not in values["aboutActor"]
        ):
            values["aboutActor"].append(actor.value)

    def _new_actor(
        self,
        fields: ClaimFields,
        source: QuotedSource | None,
        parts: ClaimParts,
        problems: list[FieldProblem],
    ) -> NamedNode | None:
        label, kind = fields.new_actor_label, fields.new_actor_type
        if not label and not kind:
            return None
        if not label or not kind:
            missing = "new-actor-label" if not label else "new-actor-type"
            problems.append(FieldProblem(missing, "A new actor needs a name and a type."))
            return None
        cls = self._iri(kind, "new-actor-type", problems)
        if cls is None or source is None:
            return None
        actor = self._unique(self.vocab.id[""].value, camel_case(label), sep="")
        graph = self.vocab.reference_graph
        parts.quads += [
            Quad(actor, RDF.type, cls, graph),
            Quad(actor, RDFS.label, Literal(label, language="en"), graph),
            Quad(actor, DCTERMS.source, source.iri, graph),
        ]
        return actor

    def _label_of(self, claimant: str) -> str:
        rows = self.store.select(
            f"SELECT ?l WHERE {{ <{claimant}> rdfs:label ?l }} ORDER BY ?l LIMIT 1"
        )
        return rows[0]["l"].value if rows else local_name(claimant)
