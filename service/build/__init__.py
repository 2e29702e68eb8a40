"""``parley build``: the model files (ontology, shapes, data) read, validated,
closed under OWL 2 RL and loaded into a new store that is then swapped in.
"""

from service.build._files import ModelFiles, load_ontology, load_shapes
from service.build._pipeline import build

__all__ = ["ModelFiles", "build", "load_ontology", "load_shapes"]
