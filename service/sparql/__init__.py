"""The SPARQL 1.1 Protocol without a web framework: requests parsed into operations,
answers negotiated, updates turned into change sets, the service description.

The web layer calls this core; nothing here imports Flask.
"""

from service.sparql._answer import answer_query, run_query
from service.sparql._description import VoidCache, service_description
from service.sparql._outbound import check_outbound
from service.sparql._protocol import Operation, parse_operation
from service.sparql._update_effect import UpdateContext
from service.sparql._update_job import apply_update

__all__ = [
    "Operation",
    "UpdateContext",
    "VoidCache",
    "answer_query",
    "apply_update",
    "check_outbound",
    "parse_operation",
    "run_query",
    "service_description",
]
