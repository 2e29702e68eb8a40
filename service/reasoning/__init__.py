"""OWL 2 RL reasoning: the whole closure at build time (owlrl, behind one module) and
the incremental reasoner that keeps ``graph/inferred`` current on every write.
"""

from service.reasoning._incremental import Budget, Facts, OverBudget, Overlay, Reasoner
from service.reasoning._inferred import StoreFacts, infer_change
from service.reasoning._owlrl_closure import closure
from service.reasoning._rules import Fact, Node, Rules, compile_rules

__all__ = [
    "Budget",
    "Fact",
    "Facts",
    "Node",
    "OverBudget",
    "Overlay",
    "Reasoner",
    "Rules",
    "StoreFacts",
    "closure",
    "compile_rules",
    "infer_change",
]
