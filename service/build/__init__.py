"""``parley build``: the model files (ontology, shapes, data) read, validated,
closed under OWL 2 RL and loaded into a new store that is then swapped in; the
journal of clients' writes replayed onto it; ``parley dump`` and ``parley
restore``.
"""

from service.build._backup import DUMP_FORMATS, dump, dump_format, restore, write_dump
from service.build._files import ModelFiles, load_data, load_ontology, load_shapes
from service.build._journal import Journal, journal_dir, keep_journal
from service.build._pipeline import build

__all__ = [
    "DUMP_FORMATS",
    "Journal",
    "ModelFiles",
    "build",
    "dump",
    "dump_format",
    "journal_dir",
    "keep_journal",
    "load_data",
    "load_ontology",
    "load_shapes",
    "restore",
    "write_dump",
]
