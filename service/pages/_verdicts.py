"""How a verdict looks: a badge (its words, a tone and a mark) with its definition.

The two verdict scales (``parley:attribution``: was it said, and so?;
``parley:accuracy``: is it so?) are SKOS concepts of the ontology. Pages show
each as a badge whose colour and mark only repeat what its words say (never
colour alone), so a reader sees at a glance where the record agrees, differs,
or says nothing. The claim page, the review page and the marks on a source's
spans share these, so one verdict looks the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.pages._labels import Labels, TermView, lexical
from service.rdf import NamedNode, Term
from service.store import GraphStore

#: Tone and mark of each verdict, by its local name. The tone names what the record does
#: with the claim (agrees, gives accounts on both sides, differs, says nothing either way),
#: not whether the claim is good; ``parley.css`` colours the tones. Every mark is its own,
#: so a span's marks say which verdicts without the aspect's name: attribution marks
#: compare words (= verbatim, ≈ paraphrase, ≠ differs, ∅ not found), accuracy marks
#: weigh the claim (✓ consistent, ± contested, ✗ contradicted, ? unverifiable).
LOOKS = {
    "attribution-verbatim": ("agrees", "="),
    "attribution-faithful": ("agrees", "≈"),
    "attribution-differs": ("differs", "≠"),
    "attribution-not-found": ("open", "∅"),
    "accuracy-consistent": ("agrees", "✓"),
    "accuracy-contested": ("mixed", "±"),
    "accuracy-contradicted": ("differs", "✗"),
    "accuracy-unverifiable": ("open", "?"),
}


@dataclass(frozen=True)
class Badge:
    """One verdict as a badge: its words (linked to its entry in the ontology), tone,
    mark and definition."""

    verdict: TermView
    tone: str
    mark: str
    definition: str = ""


def local_name(term: Term | None) -> str:
    """The part of an ontology IRI after ``#`` ("accuracy-contested")."""
    return term.value.rsplit("#", 1)[-1] if isinstance(term, NamedNode) else ""


def badge(labels: Labels, verdict: Term, meanings: dict[str, str] | None = None) -> Badge:
    """``verdict`` as a badge, with its definition from ``meanings`` (by IRI); an unknown
    verdict (a client's own) looks neutral."""
    tone, mark = LOOKS.get(local_name(verdict), ("open", "•"))
    meaning = (meanings or {}).get(verdict.value, "") if isinstance(verdict, NamedNode) else ""
    return Badge(labels.view(verdict), tone, mark, meaning)


def definitions(store: GraphStore, verdicts: Iterable[Term]) -> dict[str, str]:
    """The ``skos:definition`` of each verdict, by IRI, in one query."""
    iris = sorted({v.value for v in verdicts if isinstance(v, NamedNode)})
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in iris)
    rows = store.select(
        f"SELECT ?v ?d WHERE {{ VALUES ?v {{ {values} }} ?v skos:definition ?d "
        'FILTER(LANGMATCHES(LANG(?d), "en") || LANG(?d) = "") }'
    )
    found: dict[str, str] = {}
    for row in rows:
        v, text = row.get("v"), lexical(row.get("d"))
        if isinstance(v, NamedNode) and text and v.value not in found:
            found[v.value] = text
    return found
