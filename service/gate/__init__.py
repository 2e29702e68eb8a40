"""The write gate: every change is checked before it is committed.

``WriteGate.submit`` runs the five stages (protected graphs and skolemisation, the
model guard, incremental reasoning, validation in the context of the store, one
atomic commit with its provenance record). SHACL validation (pyshacl, behind one
module) lives here too.
"""

from service.gate._model_guard import check_seed_data
from service.gate._provenance import Stamp
from service.gate._validation import ShaclValidator, ValidationReport
from service.gate._validation_jobs import (
    ValidateInContext,
    ValidateWithShapes,
    guard_writes,
    report_from_wire,
)
from service.gate._write_gate import Accepted, Recorder, WriteGate
from service.gate._writes import WriteOutcome

__all__ = [
    "Accepted",
    "Recorder",
    "ShaclValidator",
    "Stamp",
    "ValidateInContext",
    "ValidateWithShapes",
    "ValidationReport",
    "WriteGate",
    "WriteOutcome",
    "check_seed_data",
    "guard_writes",
    "report_from_wire",
]
