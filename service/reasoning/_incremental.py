"""Incremental OWL 2 RL: keep the closure current as asserted facts come and go.

The closure (asserted data plus ``graph/inferred``) lives in the store. A write
changes a few asserted facts; this module works out how the closure changes,
reading the store through pattern lookups only, never the whole graph:

- **Insertion** is semi-naive forward chaining: each new fact is joined with
  the current closure under every rule it can take part in (``consequences``);
  what is new is added and joined in turn.
- **Deletion** is DRed (delete and re-derive): everything with a derivation
  through a removed fact is over-deleted (joined against the *old* closure, so
  nothing that depended on two removed facts is missed), then each over-deleted
  fact that still has a one-step derivation from what remains is restored
  (``derivable``), and insertion propagates from the restored facts.

The rules are ``service.reasoning._rules.Rules``; what enters the closure follows
``service.reasoning._entailment.keep_inference``. The result equals owlrl's full closure
(``service.reasoning._owlrl_closure``) on the same final data: ``tests/test_incremental.py``
checks it on random sequences of additions and deletions.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from service.rdf import RDF, NamedNode
from service.reasoning._classes import Expr, HasValue, Named, Some, Thing, Union
from service.reasoning._entailment import keep_inference
from service.reasoning._rules import Fact, Node, Rules

_TYPE = RDF.type


class Facts(Protocol):
    """Pattern lookups over a set of facts (the closure, or a view of it)."""

    def contains(self, fact: Fact) -> bool: ...

    def objects(self, subject: Node, predicate: NamedNode) -> Iterable[Node]: ...

    def subjects(self, predicate: NamedNode, obj: Node) -> Iterable[Node]: ...


@dataclass
class Overlay:
    """A view of ``base`` with facts added and removed; ``base`` is never changed."""

    base: Facts
    added: set[Fact] = field(default_factory=set)
    removed: set[Fact] = field(default_factory=set)
    _by_sp: dict[tuple[Node, NamedNode], set[Node]] = field(
        default_factory=lambda: defaultdict(set)
    )
    _by_po: dict[tuple[NamedNode, Node], set[Node]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def contains(self, fact: Fact) -> bool:
        if fact in self.added:
            return True
        return fact not in self.removed and self.base.contains(fact)

    def objects(self, subject: Node, predicate: NamedNode) -> Iterator[Node]:
        extra = self._by_sp.get((subject, predicate))
        for o in self.base.objects(subject, predicate):
            if (subject, predicate, o) not in self.removed and not (extra and o in extra):
                yield o
        if extra:
            yield from list(extra)

    def subjects(self, predicate: NamedNode, obj: Node) -> Iterator[Node]:
        extra = self._by_po.get((predicate, obj))
        for s in self.base.subjects(predicate, obj):
            if (s, predicate, obj) not in self.removed and not (extra and s in extra):
                yield s
        if extra:
            yield from list(extra)

    def add(self, fact: Fact) -> None:
        """Make ``fact`` part of the view."""
        if fact in self.removed:
            self.removed.discard(fact)
            if self.base.contains(fact):
                return
        if fact in self.added:
            return
        self.added.add(fact)
        s, p, o = fact
        self._by_sp[(s, p)].add(o)
        self._by_po[(p, o)].add(s)

    def remove(self, fact: Fact) -> None:
        """Take ``fact`` out of the view."""
        if fact in self.added:
            self.added.discard(fact)
            s, p, o = fact
            self._by_sp[(s, p)].discard(o)
            self._by_po[(p, o)].discard(s)
        self.removed.add(fact)


class OverBudget(Exception):  # noqa: N818 - a signal, not an error anyone sees
    """The work reached its budget before it was done (the caller does it elsewhere)."""


class Budget:
    """A count of the steps a piece of work may take: the consequences it looks at.

    Steps, not seconds, so that where the work is done does not depend on how busy
    the machine is. ``None`` is no limit.
    """

    def __init__(self, steps: int | None) -> None:
        self.left = steps

    def spend(self, steps: int = 1) -> None:
        """:raises OverBudget: the budget is spent."""
        if self.left is not None:
            self.left -= steps
            if self.left < 0:
                raise OverBudget


_UNLIMITED = Budget(None)


class Reasoner:
    """Applies compiled rules to facts, forwards and backwards."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def keep(self, fact: Fact) -> bool:
        """True if ``fact`` belongs in the closure that the store materialises."""
        s, p, o = fact
        return keep_inference(s, p, o, self.rules.tbox_terms)

    # -- class expressions ---------------------------------------------------

    def member(self, node: Node, expr: Expr, facts: Facts) -> bool:
        """Whether ``node`` belongs to a class expression in ``facts``."""
        if isinstance(expr, Named):
            return facts.contains((node, _TYPE, expr.cls))
        if isinstance(expr, HasValue):
            return facts.contains((node, expr.prop, expr.value))
        if isinstance(expr, Some):
            return any(self.member(y, expr.filler, facts) for y in facts.objects(node, expr.prop))
        if isinstance(expr, Union):
            return any(self.member(node, m, facts) for m in expr.members)
        return True  # owl:Thing

    def affected(self, expr: Expr, fact: Fact, facts: Facts) -> set[Node]:
        """Nodes whose membership of ``expr`` may depend on ``fact``."""
        s, p, o = fact
        if isinstance(expr, Named):
            return {s} if p == _TYPE and o == expr.cls else set()
        if isinstance(expr, HasValue):
            return {s} if p == expr.prop and o == expr.value else set()
        if isinstance(expr, Some):
            found = {s} if p == expr.prop else set()
            for y in self.affected(expr.filler, fact, facts):
                found.update(facts.subjects(expr.prop, y))
            return found
        if isinstance(expr, Union):
            return set().union(*(self.affected(m, fact, facts) for m in expr.members))
        assert isinstance(expr, Thing)
        return set()

    # -- forward ---------------------------------------------------------------

    def consequences(self, fact: Fact, facts: Facts) -> Iterator[Fact]:
        """Facts derived in one step from ``fact`` and others in ``facts``."""
        r = self.rules
        s, p, o = fact
        if p == _TYPE:
            if isinstance(o, NamedNode):
                for sup in r.super_classes.get(o, ()):
                    yield (s, _TYPE, sup)
        else:
            for sup in r.super_props.get(p, ()):
                yield (s, sup, o)
            for cls in r.domains.get(p, ()):
                yield (s, _TYPE, cls)
            for cls in r.ranges.get(p, ()):
                yield (o, _TYPE, cls)
            for inv in r.inverses.get(p, ()):
                yield (o, inv, s)
            if p in r.symmetric:
                yield (o, p, s)
            if p in r.transitive:
                for z in list(facts.objects(o, p)):
                    yield (s, p, z)
                for w in list(facts.subjects(p, s)):
                    yield (w, p, o)
            for chain in r.chains_by_first.get(p, ()):
                for z in list(facts.objects(o, chain.second)):
                    yield (s, chain.head, z)
            for chain in r.chains_by_second.get(p, ()):
                for w in list(facts.subjects(chain.first, s)):
                    yield (w, chain.head, o)
        for rule in self.rules.class_rules_for(p):
            for node in self.affected(rule.expr, fact, facts):
                if self.member(node, rule.expr, facts):
                    for cls in rule.supers:
                        yield (node, _TYPE, cls)

    # -- backward --------------------------------------------------------------

    def derivable(self, fact: Fact, facts: Facts) -> bool:
        """Whether ``fact`` follows in one step from others in ``facts``."""
        r = self.rules
        s, p, o = fact
        if p == _TYPE:
            if not isinstance(o, NamedNode):
                return False
            subs = r.sub_classes.get(o)
            if subs and any(t in subs for t in facts.objects(s, _TYPE)):
                return True
            for prop in r.domain_props.get(o, ()):
                if next(iter(facts.objects(s, prop)), None) is not None:
                    return True
            for prop in r.range_props.get(o, ()):
                if next(iter(facts.subjects(prop, s)), None) is not None:
                    return True
            return any(
                o in rule.supers and self.member(s, rule.expr, facts)
                for rule in self.rules.class_rules
            )
        if any(facts.contains((s, sub, o)) for sub in r.sub_props.get(p, ())):
            return True
        if any(facts.contains((o, inv, s)) for inv in r.inverses.get(p, ())):
            return True
        if p in r.symmetric and facts.contains((o, p, s)):
            return True
        if p in r.transitive and any(facts.contains((z, p, o)) for z in facts.objects(s, p)):
            return True
        return any(
            facts.contains((z, chain.second, o))
            for chain in r.chains_by_head.get(p, ())
            for z in list(facts.objects(s, chain.first))
        )

    # -- maintenance -------------------------------------------------------------

    def propagate(self, new: Iterable[Fact], view: Overlay, budget: Budget = _UNLIMITED) -> None:
        """Semi-naive forward chaining: add to ``view`` everything ``new`` entails."""
        queue = deque(new)
        while queue:
            fact = queue.popleft()
            for head in self.consequences(fact, view):
                budget.spend()
                if self.keep(head) and not view.contains(head):
                    view.add(head)
                    queue.append(head)

    def update(
        self,
        closure: Facts,
        *,
        deleted: Iterable[Fact],
        inserted: Iterable[Fact],
        still_asserted: Callable[[Fact], bool],
        budget: Budget = _UNLIMITED,
    ) -> Overlay:
        """The closure after a change, as a view of the current one.

        :param closure: the current closure (asserted and inferred facts).
        :param deleted: facts that are no longer asserted anywhere.
        :param inserted: facts newly asserted.
        :param still_asserted: whether a fact of the closure stays asserted.
        :param budget: the steps it may take (a chain of a transitive property costs
            the cube of its length).
        :returns: the new closure; its ``added``/``removed`` are the change.
        :raises OverBudget: the budget was spent first.
        """
        view = Overlay(closure)
        deleted = [f for f in dict.fromkeys(deleted) if closure.contains(f)]
        if deleted:
            doomed = self._overdelete(closure, deleted, still_asserted, budget)
            for fact in doomed:
                view.remove(fact)
            budget.spend(len(doomed))
            restored = [f for f in doomed if self.derivable(f, view)]
            for fact in restored:
                view.add(fact)
            self.propagate(restored, view, budget)
        fresh = []
        for fact in dict.fromkeys(inserted):
            if not view.contains(fact):
                view.add(fact)
                fresh.append(fact)
        self.propagate(fresh, view, budget)
        return view

    def _overdelete(
        self,
        closure: Facts,
        deleted: list[Fact],
        still_asserted: Callable[[Fact], bool],
        budget: Budget,
    ) -> list[Fact]:
        """Every fact of the old closure with a derivation through a deleted one."""
        doomed = dict.fromkeys(deleted)
        queue = deque(deleted)
        while queue:
            fact = queue.popleft()
            for head in self.consequences(fact, closure):
                budget.spend()
                if head in doomed or not self.keep(head) or not closure.contains(head):
                    continue
                if still_asserted(head):
                    continue
                doomed[head] = None
                queue.append(head)
        return list(doomed)
