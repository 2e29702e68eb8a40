"""Synthetic data that follows Parley's shapes, at any size (for benchmarks).

``generate(size, base_iri)`` yields about ``size`` quads: reference sources,
actors (persons, states, organisations, loosely defined groups), places
(countries and cities with uncontested containment), events (dates,
participations with roles and sources, places, part-of chains), sources with
full text, claims (claimant, modality, type, stances, about-links, an
evidence span whose quote is the source text at its offsets, for a third of
them a stance on a proposition), the propositions, and editorial reviews of
every fifth claim (both verdicts). A claim with its evidence is about 26
triples. The output is deterministic for a given size and seed, and ``parley
build``'s shapes accept it (``tests/test_synth.py``).

The lists a page shows can grow long: every source holds up to 1,000 claims, and one
actor (``id/synth/prolific-0``, outside the numbered actors, so ``bench.sparql``'s
random actors stay typical) is the claimant of every third claim, up to 10,000 (at 1M
triples), so the benchmark of the pages (``bench/pages.py``) sees whether a page pages.

Run ``python -m bench.synth --size 10000 > synth.nq`` to write N-Quads.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from service.rdf import (
    DCTERMS,
    OA,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    XSD,
    Literal,
    NamedNode,
    Quad,
    Vocab,
)

#: Claims a synthetic source holds (its text has one sentence per claim).
CLAIMS_PER_SOURCE = 1000
#: Quads a claim with its evidence, stance, about-links and review takes, on average.
QUADS_PER_CLAIM = 26
#: The prolific actor is the claimant of every PROLIFIC_EVERY-th claim, up to PROLIFIC_CLAIMS.
PROLIFIC_EVERY = 3
PROLIFIC_CLAIMS = 10_000
#: Propositions in dispute; a third of the claims take a side on one.
PROPOSITIONS = 12
#: Every REVIEW_EVERY-th claim has an editorial review (those claims are asserted and
#: factual, so checkable: the review gives both verdicts).
REVIEW_EVERY = 5
ATTRIBUTIONS = ("verbatim", "faithful", "differs", "not-found")
ACCURACIES = ("consistent", "contested", "contradicted", "unverifiable")

MODALITIES = ("asserted", "predicted", "conditional", "demanded", "speculated")
TYPES = ("factual", "evaluative", "interpretive", "normative", "causal")
STANCES = ("favourable", "unfavourable", "neutral")
ACTOR_CLASSES = ("Person", "State", "GovernmentBody", "InternationalOrganization", "VagueGroup")
EVENT_CLASSES = ("Negotiation", "Meeting", "Sanction", "AgreementSigning", "PublicStatement")
ROLES = ("negotiator", "mediator", "host", "signatory", "speaker", "imposer", "target")
WORDS = (
    "talks",
    "ceasefire",
    "sanctions",
    "envoy",
    "agreement",
    "border",
    "guarantees",
    "assets",
    "loan",
    "front",
    "elections",
    "delegation",
    "proposal",
    "summit",
    "referendum",
    "territory",
    "security",
    "aid",
    "plan",
)


def _date(d: date) -> Literal:
    return Literal(d.isoformat(), datatype=XSD.date)


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=XSD.nonNegativeInteger)


class _Writer:
    """Collects quads for one graph with a little less noise at call sites."""

    def __init__(self, graph: NamedNode) -> None:
        self.graph = graph
        self.quads: list[Quad] = []

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        self.quads.append(Quad(s, p, o, self.graph))


@dataclass(frozen=True)
class _Cast:
    """Who and what the claims of every source draw on."""

    actors: list[NamedNode]
    events: list[NamedNode]
    places: list[NamedNode]
    references: list[NamedNode]
    propositions: list[NamedNode]
    prolific: NamedNode
    editor: NamedNode
    #: Claims the prolific actor makes, at most; one in ``prolific_every`` until then.
    prolific_claims: int
    prolific_every: int


def generate(
    size: int,
    base_iri: str,
    *,
    seed: int = 7,
    prolific_claims: int = PROLIFIC_CLAIMS,
    prolific_every: int = PROLIFIC_EVERY,
) -> Iterator[Quad]:
    """About ``size`` quads of shape-conforming data for ``base_iri``; the prolific actor
    is the claimant of one claim in ``prolific_every``, up to ``prolific_claims``."""
    rng = random.Random(seed)
    v = Vocab(base_iri)
    p = v.parley
    claims = max(20, size // QUADS_PER_CLAIM)
    n_actors = max(10, claims // 25)
    n_events = max(5, claims // 40)
    n_cities = max(4, claims // 200)
    n_countries = max(2, n_cities // 4)

    ref = _Writer(v.reference_graph)
    refsrc = [v.id[f"ref/synthetic-{i}"] for i in range(5)]
    for i, s in enumerate(refsrc):
        ref.add(s, RDF.type, p.ReferenceSource)
        ref.add(s, RDFS.label, Literal(f"Synthetic reference document {i}", language="en"))
        ref.add(s, DCTERMS.publisher, Literal("Parley benchmark generator"))
        ref.add(s, DCTERMS.date, _date(date(2025, 1, 1) + timedelta(days=i)))
        ref.add(s, p.sourceKind, p["kind-research"])
        ref.add(s, SCHEMA.url, NamedNode(f"https://bench.example/document-{i}"))

    countries = [v.id[f"synth/country-{i}"] for i in range(n_countries)]
    for i, c in enumerate(countries):
        ref.add(c, RDF.type, p.State)
        ref.add(c, RDF.type, p.Country)
        ref.add(c, RDFS.label, Literal(f"Country {i}", language="en"))
        ref.add(c, DCTERMS.source, refsrc[i % len(refsrc)])
    cities = [v.id[f"synth/city-{i}"] for i in range(n_cities)]
    for i, c in enumerate(cities):
        ref.add(c, RDF.type, p.City)
        ref.add(c, RDFS.label, Literal(f"City {i}", language="en"))
        ref.add(c, p.locatedIn, countries[i % n_countries])
        ref.add(c, DCTERMS.source, refsrc[i % len(refsrc)])

    actors = [v.id[f"synth/actor-{i}"] for i in range(n_actors)]
    for i, a in enumerate(actors):
        ref.add(a, RDF.type, p[ACTOR_CLASSES[i % len(ACTOR_CLASSES)]])
        ref.add(a, RDFS.label, Literal(f"Actor {i} {WORDS[i % len(WORDS)]}", language="en"))
        ref.add(a, DCTERMS.source, refsrc[i % len(refsrc)])

    events = [v.id[f"synth/event-{i}"] for i in range(n_events)]
    start0 = date(2014, 1, 1)
    for i, e in enumerate(events):
        start = start0 + timedelta(days=rng.randrange(0, 4000))
        ref.add(e, RDF.type, p[EVENT_CLASSES[i % len(EVENT_CLASSES)]])
        ref.add(e, RDFS.label, Literal(f"Event {i}: {WORDS[(i * 3) % len(WORDS)]}", language="en"))
        ref.add(e, SCHEMA.startDate, _date(start))
        ref.add(e, SCHEMA.endDate, _date(start + timedelta(days=rng.randrange(0, 30))))
        ref.add(e, p.occurredAt, cities[i % n_cities])
        ref.add(e, DCTERMS.source, refsrc[i % len(refsrc)])
        if i >= 10:
            ref.add(e, p.subEventOf, events[i % 10])
        for k, actor in enumerate(rng.sample(actors, 2)):
            part = NamedNode(f"{e.value}#participation-{k}")
            ref.add(e, p.hasParticipation, part)
            ref.add(part, RDF.type, p.Participation)
            ref.add(part, p.participant, actor)
            ref.add(part, p.role, p[f"role-{ROLES[(i + k) % len(ROLES)]}"])
            ref.add(part, DCTERMS.source, refsrc[i % len(refsrc)])
    prolific = v.id["synth/prolific-0"]
    ref.add(prolific, RDF.type, p.Person)
    ref.add(prolific, RDFS.label, Literal("Prolific speaker", language="en"))
    ref.add(prolific, DCTERMS.source, refsrc[0])
    yield from ref.quads

    editorial = _Writer(v.editorial_graph)
    editor = v.id["editor/synthetic-desk"]
    editorial.add(editor, RDF.type, p.Editor)
    editorial.add(editor, RDFS.label, Literal("Synthetic editorial desk", language="en"))
    propositions = [v.id[f"proposition/synthetic-{i}"] for i in range(PROPOSITIONS)]
    for i, prop in enumerate(propositions):
        word = WORDS[(i * 5) % len(WORDS)]
        editorial.add(prop, RDF.type, p.Proposition)
        editorial.add(prop, RDFS.label, Literal(f"Proposition {i} on the {word}", language="en"))
        editorial.add(
            prop,
            SKOS.definition,
            Literal(f"Synthetic question {i}: a claim for the {word} supports it.", language="en"),
        )
        editorial.add(prop, DCTERMS.creator, editor)
    yield from editorial.quads

    cast = _Cast(
        actors, events, cities, refsrc, propositions, prolific, editor,
        prolific_claims, prolific_every,
    )  # fmt: skip
    for first in range(0, claims, CLAIMS_PER_SOURCE):
        n = min(CLAIMS_PER_SOURCE, claims - first)
        yield from _source(v, rng, first // CLAIMS_PER_SOURCE, first, n, cast)


def _source(
    v: Vocab,
    rng: random.Random,
    number: int,
    first: int,
    n: int,
    cast: _Cast,
) -> Iterator[Quad]:
    """One source with the text of ``n`` claims, and those claims (and their reviews)."""
    p = v.parley
    slug = f"synthetic-{number}"
    out = _Writer(v.claims_graph(slug))
    reviews = _Writer(v.editorial_graph)
    source = v.id[f"source/{slug}"]
    author = cast.actors[number % len(cast.actors)]
    sentences = []
    for k in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(6, 12)))
        sentences.append(f"Claim {first + k} says that the {words}.")
    text = " ".join(sentences)
    out.add(source, RDF.type, p.Article)
    out.add(source, RDFS.label, Literal(f"Synthetic source {number}", language="en"))
    out.add(source, SCHEMA.author, author)
    out.add(source, SCHEMA.text, Literal(text))
    offset = 0
    for k, sentence in enumerate(sentences):
        start, end = offset, offset + len(sentence)
        offset = end + 1
        yield from _claim(v, rng, out, source, first + k, sentence, start, end, cast)
        if (first + k) % REVIEW_EVERY == 0:
            _review(v, reviews, first + k, cast)
    yield from out.quads
    yield from reviews.quads


def _claim(
    v: Vocab,
    rng: random.Random,
    out: _Writer,
    source: NamedNode,
    index: int,
    quote: str,
    start: int,
    end: int,
    cast: _Cast,
) -> Iterator[Quad]:
    p = v.parley
    actors, events, places = cast.actors, cast.events, cast.places
    claim = v.id[f"claim/synthetic-{index}"]
    about = rng.sample(actors, 2)
    number = rng.randrange(len(actors))
    claimant = actors[number]
    if index % cast.prolific_every == 0 and index // cast.prolific_every < cast.prolific_claims:
        claimant, number = cast.prolific, -1
    quads: list[tuple[NamedNode, NamedNode, NamedNode | Literal]] = [
        (claim, RDF.type, p.Claim),
        (claim, DCTERMS.identifier, Literal(f"S{index}")),
        (claim, RDFS.label, Literal(f"Synthetic claim {index}", language="en")),
        (claim, p.claimant, claimant),
        (claim, p.appearsIn, source),
        (claim, p.modality, p[f"modality-{MODALITIES[index % len(MODALITIES)]}"]),
        (claim, p.claimType, p[f"type-{TYPES[index % len(TYPES)]}"]),
        (claim, p.aboutActor, about[0]),
        (claim, p.aboutActor, about[1]),
    ]
    if index % 2 == 0:
        quads.append((claim, p.aboutEvent, events[index % len(events)]))
    else:
        quads.append((claim, p.aboutPlace, places[index % len(places)]))
    if index % 6 in (0, 1):
        # A claimant takes one side of a proposition, never both (the shapes refuse it).
        k = index % len(cast.propositions)
        side = p.supportsProposition if (number + k) % 2 == 0 else p.opposesProposition
        quads.append((claim, side, cast.propositions[k]))
    stance = NamedNode(f"{claim.value}#stance-1")
    evidence = NamedNode(f"{claim.value}#evidence-1")
    quote_sel = NamedNode(f"{claim.value}#quote-1")
    position = NamedNode(f"{claim.value}#position-1")
    quads += [
        (claim, p.hasStance, stance),
        (stance, p.stanceToward, about[0]),
        (stance, p.stanceValue, p[f"stance-{STANCES[index % len(STANCES)]}"]),
        (claim, p.hasEvidence, evidence),
        (evidence, RDF.type, p.EvidenceSpan),
        (evidence, OA.hasSource, source),
        (evidence, OA.hasSelector, quote_sel),
        (evidence, OA.hasSelector, position),
        (quote_sel, RDF.type, OA.TextQuoteSelector),
        (quote_sel, OA.exact, Literal(quote)),
        (position, RDF.type, OA.TextPositionSelector),
        (position, OA.start, _int(start)),
        (position, OA.end, _int(end)),
    ]
    for s, pr, o in quads:
        yield Quad(s, pr, o, out.graph)


def _review(v: Vocab, out: _Writer, index: int, cast: _Cast) -> None:
    """The editorial review of claim ``index`` (asserted and factual: both verdicts)."""
    p = v.parley
    review = v.id[f"review/synthetic-{index}"]
    out.add(review, RDF.type, p.ClaimReview)
    out.add(review, RDFS.label, Literal(f"Editorial review of S{index}", language="en"))
    out.add(review, p.reviews, v.id[f"claim/synthetic-{index}"])
    out.add(review, p.attribution, p[f"attribution-{ATTRIBUTIONS[index % len(ATTRIBUTIONS)]}"])
    out.add(review, p.accuracy, p[f"accuracy-{ACCURACIES[(index // 5) % len(ACCURACIES)]}"])
    out.add(review, SCHEMA.author, cast.editor)
    body = f"The synthetic record number {index} says what the claim states, in other words."
    out.add(review, SCHEMA.reviewBody, Literal(body, language="en"))
    out.add(review, DCTERMS.source, cast.references[index % len(cast.references)])
    out.add(review, SCHEMA.datePublished, _date(date(2025, 12, 1)))


def main() -> None:
    from service.rdf import NQUADS, serialize

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--base-iri", default="http://127.0.0.1:8000/")
    args = parser.parse_args()
    sys.stdout.buffer.write(serialize(generate(args.size, args.base_iri), NQUADS))


if __name__ == "__main__":
    main()
